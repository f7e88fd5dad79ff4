//! Acknowledgements: someone has seen the alert; repeat notifications are held until the
//! alert resolves or its level rises above the level acknowledged.

use detectviz::{AlertPhase, Severity};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Acknowledgement {
    pub fingerprint: String,
    pub by: String,
    pub at_ms: i64,
    #[serde(default)]
    pub comment: String,
    /// The level the alert had when it was acknowledged.
    pub severity_at_ack: Severity,
}

impl Acknowledgement {
    /// Whether notifications for the alert are held: only while it is still pending or firing
    /// and not above the acknowledged level. Once it resolves the acknowledgement is spent.
    pub fn holds_notifications(&self, current_severity: Severity, phase: AlertPhase) -> bool {
        let still_active = matches!(phase, AlertPhase::Pending | AlertPhase::Firing);
        still_active && current_severity <= self.severity_at_ack
    }

    /// Whether the acknowledgement no longer applies and can be dropped.
    pub fn is_spent(&self, current_severity: Severity, phase: AlertPhase) -> bool {
        !self.holds_notifications(current_severity, phase)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acknowledged_at(severity: Severity) -> Acknowledgement {
        Acknowledgement {
            fingerprint: "0a887e641d7af92d".to_string(),
            by: "mei".to_string(),
            at_ms: 1_000,
            comment: "on my way".to_string(),
            severity_at_ack: severity,
        }
    }

    #[test]
    fn holds_while_firing_at_or_below_the_acknowledged_level() {
        let ack = acknowledged_at(Severity::Warning);
        assert!(ack.holds_notifications(Severity::Warning, AlertPhase::Firing));
        assert!(ack.holds_notifications(Severity::Info, AlertPhase::Firing));
    }

    #[test]
    fn releases_when_the_level_rises() {
        let ack = acknowledged_at(Severity::Warning);
        assert!(!ack.holds_notifications(Severity::Critical, AlertPhase::Firing));
        assert!(ack.is_spent(Severity::Critical, AlertPhase::Firing));
    }

    #[test]
    fn releases_when_the_alert_resolves() {
        let ack = acknowledged_at(Severity::Critical);
        assert!(!ack.holds_notifications(Severity::Warning, AlertPhase::Resolved));
        assert!(!ack.holds_notifications(Severity::Warning, AlertPhase::Inactive));
    }
}
