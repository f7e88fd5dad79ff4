//! Inhibition: a firing *source* alert mutes *target* alerts when the labels named in
//! `equal` have the same value on both (e.g. `DeviceDown` mutes that device's port alerts).
//!
//! As in Alertmanager, a label missing on both sides counts as equal, and an alert that
//! matches both the source and the target side is not inhibited by alerts that do too
//! (so such a rule cannot make alerts mute each other, or themselves).

use detectviz::Labels;
use serde::{Deserialize, Serialize};

use crate::LabelMatcher;
use crate::matcher::all_match;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InhibitRule {
    pub source_matchers: Vec<LabelMatcher>,
    pub target_matchers: Vec<LabelMatcher>,
    #[serde(default)]
    pub equal: Vec<String>,
}

impl InhibitRule {
    /// The first firing alert that inhibits the target, if any.
    pub fn inhibiting_source<'firing>(
        &self,
        target_labels: &Labels,
        firing_alerts: &'firing [Labels],
    ) -> Option<&'firing Labels> {
        if self.target_matchers.is_empty() || self.source_matchers.is_empty() {
            return None;
        }
        if !all_match(&self.target_matchers, target_labels) {
            return None;
        }
        let target_is_also_source = all_match(&self.source_matchers, target_labels);
        firing_alerts.iter().find(|source_labels| {
            if !all_match(&self.source_matchers, source_labels) {
                return false;
            }
            if target_is_also_source && all_match(&self.target_matchers, source_labels) {
                return false;
            }
            self.equal
                .iter()
                .all(|name| source_labels.get(name) == target_labels.get(name))
        })
    }

    /// Whether any firing alert inhibits the target through this rule.
    pub fn is_inhibited(&self, target_labels: &Labels, firing_alerts: &[Labels]) -> bool {
        self.inhibiting_source(target_labels, firing_alerts)
            .is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().copied().collect()
    }

    fn device_down_mutes_ports() -> InhibitRule {
        InhibitRule {
            source_matchers: vec![LabelMatcher::equal("alertname", "DeviceDown")],
            target_matchers: vec![LabelMatcher::equal("alertname", "PortDown")],
            equal: vec!["device".to_string()],
        }
    }

    #[test]
    fn a_source_mutes_targets_with_equal_labels_only() {
        let rule = device_down_mutes_ports();
        let firing = [labels(&[("alertname", "DeviceDown"), ("device", "sw-1")])];
        let same_device = labels(&[("alertname", "PortDown"), ("device", "sw-1"), ("port", "7")]);
        let other_device = labels(&[("alertname", "PortDown"), ("device", "sw-2"), ("port", "7")]);
        assert!(rule.is_inhibited(&same_device, &firing));
        assert!(!rule.is_inhibited(&other_device, &firing));
        assert!(!rule.is_inhibited(&same_device, &[]));
    }

    #[test]
    fn a_label_missing_on_both_sides_counts_as_equal() {
        let rule = device_down_mutes_ports();
        let firing = [labels(&[("alertname", "DeviceDown")])];
        assert!(rule.is_inhibited(&labels(&[("alertname", "PortDown")]), &firing));
        let with_device = labels(&[("alertname", "PortDown"), ("device", "sw-1")]);
        assert!(!rule.is_inhibited(&with_device, &firing));
    }

    #[test]
    fn an_alert_matching_both_sides_does_not_inhibit_itself() {
        let rule = InhibitRule {
            source_matchers: vec![LabelMatcher::equal("severity", "critical")],
            target_matchers: vec![LabelMatcher::equal("team", "plant")],
            equal: vec!["device".to_string()],
        };
        let both = labels(&[
            ("severity", "critical"),
            ("team", "plant"),
            ("device", "p1"),
        ]);
        assert!(!rule.is_inhibited(&both, std::slice::from_ref(&both)));
        let warning = labels(&[("severity", "warning"), ("team", "plant"), ("device", "p1")]);
        assert!(rule.is_inhibited(&warning, std::slice::from_ref(&both)));
    }
}
