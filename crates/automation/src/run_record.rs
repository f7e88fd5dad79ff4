//! Run records on `dv:automation`, and the ledger that keeps runs to one per key.
//!
//! Each run publishes a `started` record and a finished one (`succeeded`, `failed`,
//! `timed_out`, `skipped_cooldown`), as `detectviz::Event`s of type
//! `io.detectviz.automation.run.<status>` whose data is a [`RunRecord`].
//!
//! Idempotency lives in the store (`automation_runs`, see [`run_history`](crate::run_history)):
//! the records here are the live feed for the console and other services, not the ledger.
//! Stream retention may drop them; the store keeps the history.

use detectviz::{AlertTransition, Event};
use eventbus::{BusError, EntryId, EventBus};
use serde::{Deserialize, Serialize};

use crate::action::ActionOutput;

/// The stream run records are published on.
pub const AUTOMATION_STREAM: &str = "dv:automation";
/// CloudEvents `source` of run records.
pub const AUTOMATION_EVENT_SOURCE: &str = "/detectviz/automation";

/// Where a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Started,
    Succeeded,
    Failed,
    TimedOut,
    SkippedCooldown,
    /// The executor died during the run (found `started` when it started again).
    Interrupted,
    /// Stopped by hand from the task runner; the script's process group was killed.
    Cancelled,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Started => "started",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
            RunStatus::TimedOut => "timed_out",
            RunStatus::SkippedCooldown => "skipped_cooldown",
            RunStatus::Interrupted => "interrupted",
            RunStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<RunStatus> {
        [
            RunStatus::Started,
            RunStatus::Succeeded,
            RunStatus::Failed,
            RunStatus::TimedOut,
            RunStatus::SkippedCooldown,
            RunStatus::Interrupted,
            RunStatus::Cancelled,
        ]
        .into_iter()
        .find(|status| status.as_str() == text)
    }

    pub fn is_finished(self) -> bool {
        self != RunStatus::Started
    }
}

/// One run of one rule's action for one alert transition, at one point of its life.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub run_id: String,
    /// Equal for every record of the runs of one (transition, rule, action); see [`run_key`].
    pub run_key: String,
    /// 0 for the first run of a key; one more for each re-run after an interruption.
    #[serde(default)]
    pub generation: i64,
    /// `alert` (a matching transition) or `manual` (the task runner).
    #[serde(default = "alert_trigger")]
    pub trigger_kind: String,
    /// Who started a manual run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_by: Option<String>,
    pub rule_id: String,
    pub rule_name: String,
    pub action: String,
    pub fingerprint: String,
    pub transition_kind: String,
    pub transition_at_ms: i64,
    pub status: RunStatus,
    pub attempts: u32,
    pub started_at_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub stdout: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub stderr: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The answer of an `llm` action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
}

fn alert_trigger() -> String {
    "alert".to_string()
}

impl RunRecord {
    /// Copies what the action reported (exit code, capped output, provider id).
    pub fn set_output(&mut self, output: &ActionOutput) {
        self.exit_code = output.exit_code;
        self.stdout = output.stdout.clone();
        self.stderr = output.stderr.clone();
        self.provider_id = output.provider_id.clone();
        self.answer = output.answer.clone();
    }

    /// The record as a bus event.
    pub fn to_event(&self) -> Event {
        Event::new(
            AUTOMATION_EVENT_SOURCE,
            format!("io.detectviz.automation.run.{}", self.status.as_str()),
            self,
        )
        .expect("a run record serialises")
    }
}

/// `<fingerprint>/<kind>/<at_ms>/<rule id>/<action>`: one run per transition, rule and action.
pub fn run_key(transition: &AlertTransition, rule_id: &str, action: &str) -> String {
    format!(
        "{}/{}/{}/{rule_id}/{action}",
        transition.fingerprint,
        transition.kind.as_str(),
        transition.at_ms
    )
}

/// Publishes a run record.
pub async fn publish_record(bus: &EventBus, record: &RunRecord) -> Result<EntryId, BusError> {
    bus.publish(AUTOMATION_STREAM, &record.to_event()).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::sample_transition;

    #[test]
    fn statuses_round_trip_through_text() {
        for text in [
            "started",
            "succeeded",
            "interrupted",
            "cancelled",
            "skipped_cooldown",
        ] {
            assert_eq!(RunStatus::parse(text).unwrap().as_str(), text);
        }
        assert_eq!(RunStatus::parse("done"), None);
        assert!(!RunStatus::Started.is_finished());
        assert!(RunStatus::Interrupted.is_finished());
    }

    #[test]
    fn the_run_key_names_transition_rule_and_action() {
        let key = run_key(&sample_transition(), "restart-pump", "restart");
        assert_eq!(
            key,
            "a1c3e5f7a9b1c3e5/firing/1748743320000/restart-pump/restart"
        );
    }
}
