//! Detectviz automation: alert-triggered actions.
//!
//! The executor ([`run_automation`]) consumes alert transitions from `dv:alerts` in the group
//! `automation`, matches them against [`AutomationRule`]s, and runs each matching rule's
//! action through the pipeline: one run per (fingerprint, transition, rule, action) even when
//! an event is redelivered, concurrency limits, cooldowns, timeouts, retries with backoff of
//! retryable failures. Every run is published on `dv:automation` ([`RunRecord`]).
//!
//! Rules come from the config file and from the store (`automation_rules`, written through
//! the API and checked by [`stored_rule`]); the executor reads the stored ones for each
//! transition. A resolved transition closes the alert's open ticket; an `llm` answer is kept
//! on the alert (`alert_analyses`) as well as on the run.
//!
//! Actions are plugins ([`ActionConfig`] → [`Action`]): `shell` runs a script from a
//! configured directory with alert data as argv, environment and stdin JSON, never a shell
//! string; `webhook` sends one templated, optionally signed HTTP request. Plugins make one
//! attempt and classify failures ([`ActionError::is_retryable`]); they never retry or sleep.

pub mod action;
pub mod config;
pub mod error;
pub mod executor;
pub mod limits;
pub mod notify_request;
pub mod rule;
pub mod rule_source;
pub mod run_history;
pub mod run_record;
pub mod sample;
pub mod stored_rule;
pub mod task_runner;
pub mod template;
pub mod trigger_expression;

pub use action::{Action, ActionConfig, ActionOutput, ActionRequest, LiveOutput};
pub use config::{AutomationConfig, parse_automation_config};
pub use error::{ActionError, AutomationError, ConfigError, RunError};
pub use executor::{AUTOMATION_GROUP, Executor, ExecutorConfig, run_automation};
pub use notify_request::{NOTIFY_EVENT_TYPE, NOTIFY_STREAM, NotifyOnRun, NotifyRequest};
pub use rule::{AutomationRule, RuleProblem, Trigger, TriggerOn};
pub use run_record::{AUTOMATION_STREAM, RunRecord, RunStatus, run_key};
pub use stored_rule::{check_stored_rule, parse_rule_document, restore_masked_secrets};
pub use task_runner::{TaskAction, TaskError, TaskRunner, TaskWatch};
pub use trigger_expression::TriggerExpression;
