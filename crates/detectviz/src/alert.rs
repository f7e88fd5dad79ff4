//! Alert transitions: the payload the alert engine publishes on `dv:alerts`.
//!
//! The notifier, automation and the history recorder read these without depending on the
//! alert crate, so the shape lives here. One transition is one change of an alert's
//! lifecycle for one (rule, series) pair, identified by a stable fingerprint.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{Labels, SeriesKey, Severity};

/// Where an alert is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertPhase {
    /// Condition does not hold.
    #[default]
    Inactive,
    /// Condition holds but not yet for the level's `for` duration.
    Pending,
    /// Condition held long enough: the alert is raised.
    Firing,
    /// Was firing and recovered; becomes inactive on the next evaluation.
    Resolved,
}

impl AlertPhase {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertPhase::Inactive => "inactive",
            AlertPhase::Pending => "pending",
            AlertPhase::Firing => "firing",
            AlertPhase::Resolved => "resolved",
        }
    }
}

/// What kind of change a transition records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransitionKind {
    /// Inactive or resolved → pending.
    Pending,
    /// Pending → inactive: the condition stopped holding before the `for` duration elapsed.
    Cancelled,
    /// → firing.
    Firing,
    /// Firing at a higher level than before.
    Escalated,
    /// Firing at a lower level than before.
    DeEscalated,
    /// Firing → resolved.
    Resolved,
    /// Too many changes in the flap window: notifications are held until stable.
    Flapping,
    /// Stable again for the flap window; carries the current phase and level.
    FlappingEnded,
}

impl TransitionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TransitionKind::Pending => "pending",
            TransitionKind::Cancelled => "cancelled",
            TransitionKind::Firing => "firing",
            TransitionKind::Escalated => "escalated",
            TransitionKind::DeEscalated => "de_escalated",
            TransitionKind::Resolved => "resolved",
            TransitionKind::Flapping => "flapping",
            TransitionKind::FlappingEnded => "flapping_ended",
        }
    }
}

/// One change of one alert, as published on `dv:alerts` and written to the history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertTransition {
    /// Stable 16-hex-digit fingerprint of (rule, series) or of an external alert's labels.
    pub fingerprint: String,
    pub rule_id: String,
    pub rule_name: String,
    pub series: SeriesKey,
    /// Series tags, then rule labels, then `alertname` and `severity`.
    pub labels: Labels,
    pub annotations: BTreeMap<String, String>,
    pub kind: TransitionKind,
    pub from: AlertPhase,
    pub to: AlertPhase,
    /// The level the alert is at after the change (for `resolved`: the level it had).
    pub severity: Severity,
    /// The level before the change, when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_severity: Option<Severity>,
    /// The value compared (raw value or statistic) that caused the change, when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// When the change happened, Unix milliseconds.
    pub at_ms: i64,
    /// When the alert started firing (or pending), Unix milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_since_ms: Option<i64>,
    /// Whether the alert is flapping at the time of the change.
    pub flapping: bool,
    /// Whether notifiers should send a message for this change (false while flapping).
    pub notify: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transition_has_a_stable_json_shape() {
        let transition = AlertTransition {
            fingerprint: "0a887e641d7af92d".to_string(),
            rule_id: "r1".to_string(),
            rule_name: "TemperatureHigh".to_string(),
            series: SeriesKey {
                measurement: "plc".to_string(),
                tags: [("host", "a")].into_iter().collect(),
                field: "temp".to_string(),
            },
            labels: [("alertname", "TemperatureHigh"), ("severity", "critical")]
                .into_iter()
                .collect(),
            annotations: BTreeMap::new(),
            kind: TransitionKind::DeEscalated,
            from: AlertPhase::Firing,
            to: AlertPhase::Firing,
            severity: Severity::Warning,
            previous_severity: Some(Severity::Critical),
            value: Some(91.5),
            at_ms: 1_000,
            active_since_ms: None,
            flapping: false,
            notify: true,
        };
        let json = serde_json::to_value(&transition).unwrap();
        assert_eq!(json["kind"], "de_escalated");
        assert_eq!(json["from"], "firing");
        assert_eq!(json["severity"], "warning");
        assert_eq!(json["previous_severity"], "critical");
        assert_eq!(json["series"]["tags"]["host"], "a");
        assert!(json.get("active_since_ms").is_none());
        let back: AlertTransition = serde_json::from_value(json).unwrap();
        assert_eq!(back, transition);
        assert_eq!(TransitionKind::DeEscalated.as_str(), "de_escalated");
    }
}
