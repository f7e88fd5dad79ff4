//! The alert crate's error type: what was wrong and where (rule id, field).

/// Why rules, matchers, silences or external alerts were rejected.
#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    #[error("cannot parse {format} rules: {message}")]
    Parse {
        format: &'static str,
        message: String,
    },
    #[error("rule `{rule}`: field `{field}` {reason}")]
    InvalidRule {
        rule: String,
        field: String,
        reason: String,
    },
    #[error("label matcher `{name}`: invalid regex `{pattern}`: {reason}")]
    InvalidRegex {
        name: String,
        pattern: String,
        reason: String,
    },
    #[error("cel filter `{expression}`: {reason}")]
    InvalidFilter { expression: String, reason: String },
    #[error("maintenance window `{window}`: {reason}")]
    InvalidMaintenanceWindow { window: String, reason: String },
    #[error("silence: {reason}")]
    InvalidSilence { reason: String },
    #[error("external alert: {reason}")]
    InvalidExternalAlert { reason: String },
}
