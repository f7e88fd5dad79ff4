//! The action plugin family: one config variant and one file per kind of action.
//!
//! Adding an action touches its file, its [`ActionConfig`] variant and the match arm in
//! [`ActionConfig::build`]. An action makes exactly one attempt per [`Action::execute`]: it
//! never retries, sleeps or records metrics; the executor does, guided by
//! [`ActionError::is_retryable`].

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use detectviz::AlertTransition;
use serde::{Deserialize, Serialize};

use crate::error::{ActionError, ConfigError};
use crate::template::TemplateContext;

#[cfg(test)]
pub(crate) mod conformance;
pub mod llm;
pub mod masked;
pub mod output;
pub mod script_path;
pub mod shell;
#[cfg(test)]
pub(crate) mod test_server;
pub mod ticket;
pub mod webhook;

pub use detectviz::Secret;
pub use llm::{Llm, LlmConfig};
pub use shell::{RunAs, Shell, ShellConfig};
pub use ticket::{Ticket, TicketConfig, TicketFormat};
pub use webhook::{Webhook, WebhookConfig};

/// The future [`Action::execute`] returns.
pub type ExecuteFuture<'a> =
    Pin<Box<dyn Future<Output = Result<ActionOutput, ActionError>> + Send + 'a>>;

/// What one run of an action is about.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionRequest {
    /// The run's id, also sent to webhooks as `X-Detectviz-Run-Id`.
    pub run_id: String,
    pub transition: AlertTransition,
    /// The rule's parameters, already rendered for this transition.
    pub parameters: BTreeMap<String, String>,
    /// How long the attempt may take; a shell action kills its process group after it.
    pub timeout: Duration,
    /// Where a shell action copies its output as it comes (the task runner's live view).
    pub live_output: Option<LiveOutput>,
}

/// A live copy of a run's output: chunks of text on a bounded broadcast channel. A slow
/// reader loses chunks (the stored output stays complete up to its cap); the run never waits.
#[derive(Debug, Clone)]
pub struct LiveOutput(pub tokio::sync::broadcast::Sender<String>);

impl PartialEq for LiveOutput {
    fn eq(&self, other: &Self) -> bool {
        self.0.same_channel(&other.0)
    }
}

impl ActionRequest {
    /// What the action's own templates (arguments, URL, headers, body) may refer to.
    pub fn template_context(&self) -> TemplateContext {
        TemplateContext::from_transition(&self.transition, self.parameters.clone())
    }
}

/// What a successful attempt reports.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ActionOutput {
    /// The script's exit code; `None` for actions that are not processes.
    pub exit_code: Option<i32>,
    /// Standard output, or the HTTP response body, capped with a `… [truncated]` marker.
    pub stdout: String,
    /// Standard error, capped the same way.
    pub stderr: String,
    /// The peer's id for what it created (a ticket number), when it returns one.
    pub provider_id: Option<String>,
    /// What an `llm` action's model answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
}

/// One configured action: a script to run, a webhook to call...
pub trait Action: Send + Sync + std::fmt::Debug {
    /// The action's configured name, used in run records and errors.
    fn name(&self) -> &str;

    /// Runs the action once for `request`.
    fn execute<'a>(&'a self, request: &'a ActionRequest) -> ExecuteFuture<'a>;
}

/// An action's configuration, tagged by `type` (`shell`, `webhook`, `ticket`, `llm`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ActionConfig {
    Shell(ShellConfig),
    Webhook(WebhookConfig),
    Ticket(TicketConfig),
    Llm(LlmConfig),
}

impl ActionConfig {
    /// The configured action name.
    pub fn name(&self) -> &str {
        match self {
            ActionConfig::Shell(config) => &config.name,
            ActionConfig::Webhook(config) => &config.name,
            ActionConfig::Ticket(config) => &config.name,
            ActionConfig::Llm(config) => &config.name,
        }
    }

    /// Checks the configuration and builds the action.
    pub fn build(&self) -> Result<Box<dyn Action>, ConfigError> {
        match self {
            ActionConfig::Shell(config) => Ok(Box::new(Shell::new(config)?)),
            ActionConfig::Webhook(config) => Ok(Box::new(Webhook::new(config)?)),
            ActionConfig::Ticket(config) => Ok(Box::new(Ticket::new(config)?)),
            ActionConfig::Llm(config) => Ok(Box::new(Llm::new(config)?)),
        }
    }

    /// Like [`build`](Self::build), with the store the ticket action writes its tickets to.
    pub fn build_with_store(&self, store: &store::Store) -> Result<Box<dyn Action>, ConfigError> {
        match self {
            ActionConfig::Ticket(config) => {
                Ok(Box::new(Ticket::new(config)?.with_store(store.clone())))
            }
            other => other.build(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_type_is_rejected() {
        let error = toml::from_str::<ActionConfig>("type = \"ansible\"\nname = \"x\"\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("unknown variant `ansible`"), "{error}");
    }
}
