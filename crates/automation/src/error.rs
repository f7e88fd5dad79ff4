//! The automation errors: a wrong configuration (found before anything runs) and one failed
//! attempt of an action (classified for the executor's retries).

use crate::action::ActionOutput;

/// A rule or action configuration is wrong; found when the rule set is built.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("automation configuration: {0}")]
    Parse(String),
    #[error("action `{action}`: {reason}")]
    InvalidAction { action: String, reason: String },
    #[error("automation rule `{rule}`: {reason}")]
    InvalidRule { rule: String, reason: String },
}

impl ConfigError {
    pub(crate) fn invalid_action(action: &str, reason: impl Into<String>) -> Self {
        ConfigError::InvalidAction {
            action: action.to_string(),
            reason: reason.into(),
        }
    }
}

/// One attempt of an action failed. Messages name the action and the peer's host, never a
/// secret (signature keys, URLs with tokens in them).
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// The script path left the scripts directory or is not a runnable file: final.
    #[error("action `{action}`: script refused: {reason}")]
    ScriptRefused { action: String, reason: String },
    /// The process could not be started. Final (a missing interpreter does not come back),
    /// except while the script file is being written (`ETXTBSY`, a deployment in progress).
    #[error("action `{action}`: cannot start the script: {reason}")]
    SpawnFailed {
        action: String,
        reason: String,
        retryable: bool,
    },
    /// The script ran and exited non-zero. Exit code 75 (`EX_TEMPFAIL`) asks for a retry.
    #[error("action `{action}`: the script exited with {exit_code}")]
    ScriptFailed {
        action: String,
        exit_code: i32,
        output: Box<ActionOutput>,
    },
    /// The script was killed by a signal it did not get from us.
    #[error("action `{action}`: the script was killed by signal {signal}")]
    ScriptKilled {
        action: String,
        signal: i32,
        output: Box<ActionOutput>,
    },
    /// The attempt ran past its timeout; a script's whole process group was killed.
    #[error("action `{action}`: no result within {timeout_ms} ms")]
    TimedOut { action: String, timeout_ms: u128 },
    /// The HTTP peer could not be reached or the connection broke: worth retrying.
    #[error("action `{action}`: cannot reach {peer}: {reason}")]
    Unreachable {
        action: String,
        peer: String,
        reason: String,
    },
    /// The HTTP peer answered with an error status.
    #[error("action `{action}`: {peer} answered http {status}: {body}")]
    HttpStatus {
        action: String,
        peer: String,
        status: u16,
        body: String,
    },
    /// The request could not be put together from the alert (a header value with a newline).
    #[error("action `{action}`: cannot build the request: {reason}")]
    InvalidRequest { action: String, reason: String },
}

/// The exit code a script uses to ask for another attempt (`EX_TEMPFAIL` of sysexits.h).
pub const EXIT_CODE_TEMPORARY_FAILURE: i32 = 75;

impl ActionError {
    /// Whether the same request may succeed on a later attempt: timeouts, unreachable peers,
    /// HTTP 408, 429 and 5xx, and scripts exiting with 75. Refused scripts, other exit codes,
    /// other HTTP 4xx and malformed requests are final.
    pub fn is_retryable(&self) -> bool {
        match self {
            ActionError::TimedOut { .. } | ActionError::Unreachable { .. } => true,
            ActionError::HttpStatus { status, .. } => is_retryable_http_status(*status),
            ActionError::ScriptFailed { exit_code, .. } => {
                *exit_code == EXIT_CODE_TEMPORARY_FAILURE
            }
            ActionError::SpawnFailed { retryable, .. } => *retryable,
            ActionError::ScriptRefused { .. }
            | ActionError::ScriptKilled { .. }
            | ActionError::InvalidRequest { .. } => false,
        }
    }

    /// What the script printed before it failed, when it ran at all.
    pub fn output(&self) -> Option<&ActionOutput> {
        match self {
            ActionError::ScriptFailed { output, .. } | ActionError::ScriptKilled { output, .. } => {
                Some(output)
            }
            _ => None,
        }
    }
}

pub(crate) fn is_retryable_http_status(status: u16) -> bool {
    status == 408 || status == 429 || (500..=599).contains(&status)
}

/// Why a transition's runs could not all be finished; its alert entry stays pending and is
/// delivered again.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("event bus: {0}")]
    Bus(#[from] eventbus::BusError),
    #[error("run history: {0}")]
    Store(#[from] store::StoreError),
    /// Shutdown came while a run waited to retry: it is neither finished nor recorded as
    /// failed, so the redelivery after the restart runs it again.
    #[error("shut down before run `{run_key}` finished")]
    Interrupted { run_key: String },
}

/// Why the executor stopped.
#[derive(Debug, thiserror::Error)]
pub enum AutomationError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("event bus: {0}")]
    Bus(#[from] eventbus::BusError),
    #[error("run history: {0}")]
    Store(#[from] store::StoreError),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http_error(status: u16) -> ActionError {
        ActionError::HttpStatus {
            action: "mes".to_string(),
            peer: "http://mes.example".to_string(),
            status,
            body: String::new(),
        }
    }

    fn script_failure(exit_code: i32) -> ActionError {
        ActionError::ScriptFailed {
            action: "restart".to_string(),
            exit_code,
            output: Box::default(),
        }
    }

    #[test]
    fn http_statuses_are_classified_for_retries() {
        for status in [408, 429, 500, 502, 503, 504] {
            assert!(http_error(status).is_retryable(), "{status}");
        }
        for status in [400, 401, 403, 404, 409, 422] {
            assert!(!http_error(status).is_retryable(), "{status}");
        }
    }

    #[test]
    fn only_the_temporary_failure_exit_code_is_retried() {
        assert!(script_failure(EXIT_CODE_TEMPORARY_FAILURE).is_retryable());
        assert!(!script_failure(1).is_retryable());
        assert!(!script_failure(2).is_retryable());
        let timeout = ActionError::TimedOut {
            action: "restart".to_string(),
            timeout_ms: 10,
        };
        assert!(timeout.is_retryable());
        let refused = ActionError::ScriptRefused {
            action: "restart".to_string(),
            reason: "outside".to_string(),
        };
        assert!(!refused.is_retryable());
    }
}
