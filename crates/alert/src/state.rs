//! Engine state: one [`AlertState`] per (rule id, series), owned by the caller of
//! [`crate::evaluate`] and carried from one call to the next.

use std::collections::{BTreeSet, HashMap, VecDeque};

use detectviz::{AlertPhase, SeriesKey, Severity};
use serde::{Deserialize, Serialize};

use crate::fingerprint::{fingerprint_hex, rule_series_fingerprint};
use crate::rule::Rule;
use crate::statistic::StatisticState;

/// The lifecycle and rolling statistics of one rule on one series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertState {
    /// 16 hex digits, see [`crate::fingerprint`].
    pub fingerprint: String,
    pub series: SeriesKey,
    pub phase: AlertPhase,
    /// The level while pending or firing; the last level once resolved.
    pub severity: Option<Severity>,
    /// When the current phase was entered, Unix milliseconds.
    pub since_ms: i64,
    /// When the alert became pending, while it is pending.
    pub pending_since_ms: Option<i64>,
    /// Start of the current pending-or-firing episode.
    pub active_since_ms: Option<i64>,
    /// The last value compared (raw value or statistic).
    pub last_value: Option<f64>,
    /// Time of the last sample taken for this series.
    pub last_sample_ms: Option<i64>,
    /// Per level of the rule (same order): since when its condition has held (with hysteresis).
    pub level_held_since_ms: Vec<Option<i64>>,
    /// Times of the recent firing / resolved / escalated / de-escalated changes.
    pub recent_changes_ms: VecDeque<i64>,
    pub flapping: bool,
    #[serde(default = "StatisticState::stateless")]
    pub(crate) statistic: StatisticState,
    /// The evaluation number in which the alert resolved (it turns inactive in a later one).
    pub(crate) resolved_in_evaluation: u64,
    /// The CEL filter source last evaluated for this series, and its verdict.
    #[serde(skip)]
    pub(crate) filter_verdict: Option<(String, bool)>,
    /// Whether the alert is in the engine's list of alerts that need ticks.
    #[serde(skip)]
    pub(crate) needs_ticks: bool,
}

impl AlertState {
    pub(crate) fn new(rule: &Rule, series: &SeriesKey) -> AlertState {
        AlertState {
            fingerprint: fingerprint_hex(rule_series_fingerprint(&rule.id, series)),
            series: series.clone(),
            phase: AlertPhase::Inactive,
            severity: None,
            since_ms: 0,
            pending_since_ms: None,
            active_since_ms: None,
            last_value: None,
            last_sample_ms: None,
            level_held_since_ms: vec![None; rule.levels.len()],
            recent_changes_ms: VecDeque::new(),
            flapping: false,
            statistic: StatisticState::for_kind(&rule.kind),
            resolved_in_evaluation: 0,
            filter_verdict: None,
            needs_ticks: false,
        }
    }

    /// Drops history that no longer fits the rule after the rule was edited.
    pub(crate) fn adapt_to(&mut self, rule: &Rule) {
        if self.level_held_since_ms.len() != rule.levels.len() {
            self.level_held_since_ms = vec![None; rule.levels.len()];
        }
        let fresh = StatisticState::for_kind(&rule.kind);
        if std::mem::discriminant(&fresh) != std::mem::discriminant(&self.statistic) {
            self.statistic = fresh;
        }
    }
}

/// Key of an alert that needs attention on ticks.
pub(crate) type TickKey = (String, SeriesKey);

/// Every alert the engine tracks.
#[derive(Debug, Clone, Default)]
pub struct EngineState {
    pub(crate) by_rule: HashMap<String, HashMap<SeriesKey, AlertState>>,
    /// Alerts whose phase can change without a sample (pending, resolved, flapping, absent).
    pub(crate) needing_ticks: BTreeSet<TickKey>,
    /// Number of evaluate() calls so far.
    pub(crate) evaluations: u64,
}

impl EngineState {
    pub fn new() -> EngineState {
        EngineState::default()
    }

    /// The alert of one rule on one series, if the series was seen.
    pub fn get(&self, rule_id: &str, series: &SeriesKey) -> Option<&AlertState> {
        self.by_rule.get(rule_id)?.get(series)
    }

    /// Every tracked alert with its rule id, in no particular order.
    pub fn alerts(&self) -> impl Iterator<Item = (&str, &AlertState)> {
        self.by_rule.iter().flat_map(|(rule_id, alerts)| {
            alerts.values().map(move |alert| (rule_id.as_str(), alert))
        })
    }

    /// Number of tracked (rule, series) pairs.
    pub fn len(&self) -> usize {
        self.by_rule.values().map(HashMap::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.by_rule.values().all(HashMap::is_empty)
    }
}

/// A serialisable copy of the engine state, so a runner can persist it and restart without
/// re-firing alerts or losing rolling statistics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EngineSnapshot {
    pub evaluations: u64,
    /// Every alert with its rule id, ordered by rule id then series.
    pub alerts: Vec<(String, AlertState)>,
}

impl EngineState {
    pub fn to_snapshot(&self) -> EngineSnapshot {
        let mut alerts: Vec<(String, AlertState)> = self
            .alerts()
            .map(|(rule_id, alert)| (rule_id.to_string(), alert.clone()))
            .collect();
        alerts.sort_by(|first, second| {
            (&first.0, &first.1.series).cmp(&(&second.0, &second.1.series))
        });
        EngineSnapshot {
            evaluations: self.evaluations,
            alerts,
        }
    }

    /// Rebuilds the state; every restored alert gets ticks on the next evaluation, which
    /// drops those that do not need them.
    pub fn from_snapshot(snapshot: EngineSnapshot) -> EngineState {
        let mut state = EngineState {
            evaluations: snapshot.evaluations,
            ..EngineState::default()
        };
        for (rule_id, mut alert) in snapshot.alerts {
            alert.needs_ticks = true;
            state
                .needing_ticks
                .insert((rule_id.clone(), alert.series.clone()));
            state
                .by_rule
                .entry(rule_id)
                .or_default()
                .insert(alert.series.clone(), alert);
        }
        state
    }
}
