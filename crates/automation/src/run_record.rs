//! Run records on `dv:automation`, and the ledger that keeps runs to one per key.
//!
//! Each run publishes a `started` record and a finished one (`succeeded`, `failed`,
//! `timed_out`, `skipped_cooldown`), as `detectviz::Event`s of type
//! `io.detectviz.automation.run.<status>` whose data is a [`RunRecord`].
//!
//! Idempotency lives in the bus, not in a table: the run key is (fingerprint, transition kind,
//! transition time, rule, action), and a finished record with that key on `dv:automation`
//! means the run happened. The [`RunLedger`] reads the stream forward from where it last
//! stopped before each check, so redelivered alert events and other executor nodes' finished
//! runs are both seen. Limitations: a run whose process died between its start and its
//! finished record is run again on redelivery (at least once, not exactly once, across a
//! crash), and stream retention must keep `dv:automation` longer than `dv:alerts` may be
//! redelivered.

use std::collections::{BTreeSet, HashSet};

use detectviz::{AlertTransition, Event};
use eventbus::{BusError, EntryId, EventBus, ReplayFrom};
use serde::{Deserialize, Serialize};

use crate::action::ActionOutput;

/// The stream run records are published on.
pub const AUTOMATION_STREAM: &str = "dv:automation";
/// CloudEvents `source` of run records.
pub const AUTOMATION_EVENT_SOURCE: &str = "/detectviz/automation";
/// Entries read from `dv:automation` per ledger refresh round.
const LEDGER_PAGE_SIZE: usize = 1_000;
/// Finished runs remembered in memory; the oldest transitions are forgotten first. Far more
/// than an alert redelivery window holds.
const LEDGER_CAPACITY: usize = 100_000;

/// Where a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Started,
    Succeeded,
    Failed,
    TimedOut,
    SkippedCooldown,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Started => "started",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
            RunStatus::TimedOut => "timed_out",
            RunStatus::SkippedCooldown => "skipped_cooldown",
        }
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
}

impl RunRecord {
    /// Copies what the action reported (exit code, capped output, provider id).
    pub fn set_output(&mut self, output: &ActionOutput) {
        self.exit_code = output.exit_code;
        self.stdout = output.stdout.clone();
        self.stderr = output.stderr.clone();
        self.provider_id = output.provider_id.clone();
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

/// The run keys with a finished record on `dv:automation`, read forward incrementally; at most
/// its capacity of them (100 000 by default), forgetting the oldest transitions first.
#[derive(Debug)]
pub struct RunLedger {
    finished: HashSet<String>,
    by_transition_time: BTreeSet<(i64, String)>,
    next_id: EntryId,
    capacity: usize,
}

impl Default for RunLedger {
    fn default() -> Self {
        RunLedger::with_capacity(LEDGER_CAPACITY)
    }
}

impl RunLedger {
    pub fn new() -> RunLedger {
        RunLedger::default()
    }

    /// A ledger remembering at most `capacity` finished runs.
    pub fn with_capacity(capacity: usize) -> RunLedger {
        RunLedger {
            finished: HashSet::new(),
            by_transition_time: BTreeSet::new(),
            next_id: EntryId::ZERO,
            capacity: capacity.max(1),
        }
    }

    /// Reads the records published since the last refresh.
    pub async fn refresh(&mut self, bus: &EventBus) -> Result<(), BusError> {
        loop {
            let entries = bus
                .replay(
                    AUTOMATION_STREAM,
                    ReplayFrom::Id(self.next_id),
                    LEDGER_PAGE_SIZE,
                )
                .await?;
            let Some(last) = entries.last() else {
                return Ok(());
            };
            self.next_id = EntryId::new(last.id.milliseconds, last.id.sequence + 1);
            let page_was_full = entries.len() == LEDGER_PAGE_SIZE;
            for entry in entries {
                let Ok(event) = entry.event() else { continue };
                let Ok(record) = event.data_as::<RunRecord>() else {
                    continue;
                };
                self.note(&record);
            }
            if !page_was_full {
                return Ok(());
            }
        }
    }

    /// Remembers a record this process published.
    pub fn note(&mut self, record: &RunRecord) {
        if !record.status.is_finished() || !self.finished.insert(record.run_key.clone()) {
            return;
        }
        self.by_transition_time
            .insert((record.transition_at_ms, record.run_key.clone()));
        while self.finished.len() > self.capacity {
            let Some((_, oldest)) = self.by_transition_time.pop_first() else {
                return;
            };
            self.finished.remove(&oldest);
        }
    }

    pub fn is_finished(&self, run_key: &str) -> bool {
        self.finished.contains(run_key)
    }
}

/// Publishes a run record.
pub async fn publish_record(bus: &EventBus, record: &RunRecord) -> Result<EntryId, BusError> {
    bus.publish(AUTOMATION_STREAM, &record.to_event()).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::sample_transition;

    fn record(at_ms: i64, status: RunStatus) -> RunRecord {
        let mut transition = sample_transition();
        transition.at_ms = at_ms;
        RunRecord {
            run_id: format!("run-{at_ms}"),
            run_key: run_key(&transition, "restart-pump", "restart"),
            rule_id: "restart-pump".to_string(),
            rule_name: "Restart".to_string(),
            action: "restart".to_string(),
            fingerprint: transition.fingerprint.clone(),
            transition_kind: "firing".to_string(),
            transition_at_ms: at_ms,
            status,
            attempts: 1,
            started_at_ms: at_ms,
            ended_at_ms: None,
            exit_code: None,
            stdout: String::new(),
            stderr: String::new(),
            provider_id: None,
            error: None,
        }
    }

    #[test]
    fn only_finished_runs_count_and_the_oldest_are_forgotten_first() {
        let mut ledger = RunLedger::with_capacity(2);
        let started = record(1_000, RunStatus::Started);
        ledger.note(&started);
        assert!(!ledger.is_finished(&started.run_key));
        for at_ms in [3_000, 1_000, 2_000] {
            ledger.note(&record(at_ms, RunStatus::Succeeded));
        }
        assert!(!ledger.is_finished(&record(1_000, RunStatus::Succeeded).run_key));
        assert!(ledger.is_finished(&record(2_000, RunStatus::Failed).run_key));
        assert!(ledger.is_finished(&record(3_000, RunStatus::Failed).run_key));
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
