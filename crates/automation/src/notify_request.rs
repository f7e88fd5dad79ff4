//! A run asking the notifier to tell someone: rules with `notify = { to = "...", on = "..." }`
//! publish a [`NotifyRequest`] on `dv:notify` (CloudEvents type
//! `io.detectviz.automation.notify`) when the run ends the way `on` says (`failure`, the
//! default, covers failed, timed out, interrupted and cancelled runs; `success`; `always`).
//! `to` names a notifier receiver or contact. The notifier's consumer of this stream is not
//! built yet: the request is durable on the bus until it is.

use eventbus::{BusError, EventBus};
use serde::{Deserialize, Serialize};

use crate::run_record::{AUTOMATION_EVENT_SOURCE, RunRecord, RunStatus};

/// The stream notify requests are published on.
pub const NOTIFY_STREAM: &str = "dv:notify";
/// The CloudEvents type of a notify request.
pub const NOTIFY_EVENT_TYPE: &str = "io.detectviz.automation.notify";

/// A rule's `notify` setting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyOnRun {
    /// A notifier receiver or contact name.
    pub to: String,
    #[serde(default)]
    pub on: NotifyWhen,
}

/// Which run outcomes are told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NotifyWhen {
    #[default]
    Failure,
    Success,
    Always,
}

/// The event data of a notify request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotifyRequest {
    pub to: String,
    pub run_id: String,
    pub rule_id: String,
    pub action: String,
    pub status: RunStatus,
    pub fingerprint: String,
    /// One line for a person: what ran and how it ended.
    pub message: String,
}

impl NotifyOnRun {
    fn wants(&self, status: RunStatus) -> bool {
        let succeeded = status == RunStatus::Succeeded;
        let failed = matches!(
            status,
            RunStatus::Failed | RunStatus::TimedOut | RunStatus::Interrupted | RunStatus::Cancelled
        );
        match self.on {
            NotifyWhen::Failure => failed,
            NotifyWhen::Success => succeeded,
            NotifyWhen::Always => succeeded || failed,
        }
    }
}

/// Publishes the request when the rule asks for one for this outcome.
pub async fn publish_if_asked(
    bus: &EventBus,
    notify: Option<&NotifyOnRun>,
    record: &RunRecord,
) -> Result<(), BusError> {
    let Some(notify) = notify.filter(|notify| notify.wants(record.status)) else {
        return Ok(());
    };
    let mut message = format!(
        "automation `{}` ({}) {} for alert {}",
        record.rule_name,
        record.action,
        record.status.as_str(),
        record.fingerprint
    );
    if let Some(error) = &record.error {
        message.push_str(&format!(": {error}"));
    }
    let request = NotifyRequest {
        to: notify.to.clone(),
        run_id: record.run_id.clone(),
        rule_id: record.rule_id.clone(),
        action: record.action.clone(),
        status: record.status,
        fingerprint: record.fingerprint.clone(),
        message,
    };
    let event = detectviz::Event::new(AUTOMATION_EVENT_SOURCE, NOTIFY_EVENT_TYPE, &request)
        .expect("a notify request serialises");
    bus.publish(NOTIFY_STREAM, &event).await?;
    Ok(())
}
