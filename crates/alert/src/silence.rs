//! Silences: matchers plus a time range; a matching alert is muted while the silence is active.

use detectviz::Labels;
use serde::{Deserialize, Serialize};

use crate::LabelMatcher;
use crate::matcher::all_match;

/// Where a silence is in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SilenceState {
    Pending,
    Active,
    Expired,
}

/// Mutes the alerts its matchers select between `starts_at_ms` (inclusive) and `ends_at_ms`
/// (exclusive).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Silence {
    pub id: String,
    pub matchers: Vec<LabelMatcher>,
    pub starts_at_ms: i64,
    pub ends_at_ms: i64,
    pub created_by: String,
    #[serde(default)]
    pub comment: String,
}

impl Silence {
    pub fn state(&self, now_ms: i64) -> SilenceState {
        if now_ms < self.starts_at_ms {
            return SilenceState::Pending;
        }
        if now_ms >= self.ends_at_ms {
            return SilenceState::Expired;
        }
        SilenceState::Active
    }

    pub fn is_active(&self, now_ms: i64) -> bool {
        self.state(now_ms) == SilenceState::Active
    }

    /// Whether every matcher accepts the labels. A silence without matchers matches
    /// nothing, so an empty silence can never mute everything by accident.
    pub fn matches(&self, labels: &Labels) -> bool {
        !self.matchers.is_empty() && all_match(&self.matchers, labels)
    }

    /// Active now and matching.
    pub fn mutes(&self, labels: &Labels, now_ms: i64) -> bool {
        self.is_active(now_ms) && self.matches(labels)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MatchOperator;

    fn silence(matchers: Vec<LabelMatcher>) -> Silence {
        Silence {
            id: "s1".to_string(),
            matchers,
            starts_at_ms: 1_000,
            ends_at_ms: 2_000,
            created_by: "ops".to_string(),
            comment: "pump swap".to_string(),
        }
    }

    fn labels(device: &str) -> Labels {
        [("alertname", "PumpDown"), ("device", device)]
            .into_iter()
            .collect()
    }

    #[test]
    fn a_silence_is_pending_then_active_then_expired() {
        let silence = silence(vec![LabelMatcher::equal("device", "pump-1")]);
        assert_eq!(silence.state(999), SilenceState::Pending);
        assert_eq!(silence.state(1_000), SilenceState::Active);
        assert_eq!(silence.state(1_999), SilenceState::Active);
        assert_eq!(silence.state(2_000), SilenceState::Expired);
        assert!(silence.mutes(&labels("pump-1"), 1_500));
        assert!(!silence.mutes(&labels("pump-1"), 2_500));
        assert!(!silence.mutes(&labels("pump-2"), 1_500));
    }

    #[test]
    fn regex_matchers_select_several_devices() {
        let regex = LabelMatcher::new("device", MatchOperator::RegexMatch, "pump-[12]").unwrap();
        let silence = silence(vec![regex, LabelMatcher::equal("alertname", "PumpDown")]);
        assert!(silence.matches(&labels("pump-1")));
        assert!(silence.matches(&labels("pump-2")));
        assert!(!silence.matches(&labels("pump-3")));
        assert!(!silence.matches(&labels("pump-12")));
    }

    #[test]
    fn a_silence_without_matchers_matches_nothing() {
        assert!(!silence(Vec::new()).matches(&labels("pump-1")));
    }
}
