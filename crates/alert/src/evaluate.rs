//! `evaluate(rules, samples, state, now) -> transitions`: the pure heart of the engine.
//!
//! A runner calls it with every arriving batch and, with an empty batch, on a tick. Samples
//! are taken in time order (a stable sort, so equal times keep batch order); a sample not
//! newer than the last one taken for its (rule, series) is ignored. After the samples, the
//! alerts whose phase can change with time alone (pending, resolved, flapping, absent rules)
//! are settled at `now_ms`. No clock, no IO, no randomness: the same inputs give the same
//! transitions in the same order.

use std::collections::HashMap;

use detectviz::{AlertPhase, AlertTransition, Sample, SeriesKey};

use crate::CelFilter;
use crate::lifecycle::{
    TransitionContext, end_flapping_if_stable, has_unconfirmed_latch, settle_phase, update_latches,
};
use crate::matcher::all_match;
use crate::model::{ANOMALY_SCORE_FIELD, ANOMALY_SCORE_MEASUREMENT, is_score_of_rule};
use crate::rule::{Rule, RuleKind};
use crate::state::{AlertState, EngineState};

/// Rules by (measurement, field), so a sample only meets the rules that can select it.
pub struct RuleIndex<'rules> {
    by_series_name: HashMap<(&'rules str, &'rules str), Vec<usize>>,
    by_id: HashMap<&'rules str, usize>,
}

impl<'rules> RuleIndex<'rules> {
    pub fn new(rules: &'rules [Rule]) -> RuleIndex<'rules> {
        let mut by_series_name: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
        let mut by_id = HashMap::new();
        for (position, rule) in rules.iter().enumerate() {
            let selector = &rule.selector;
            // A model rule takes the scores the analyzer feeds back, not its selected series.
            let series_name = match rule.kind {
                RuleKind::Model(_) => (ANOMALY_SCORE_MEASUREMENT, ANOMALY_SCORE_FIELD),
                _ => (selector.measurement.as_str(), selector.field.as_str()),
            };
            by_series_name
                .entry(series_name)
                .or_default()
                .push(position);
            by_id.entry(rule.id.as_str()).or_insert(position);
        }
        RuleIndex {
            by_series_name,
            by_id,
        }
    }

    /// Positions of the rules watching this measurement and field.
    pub fn rules_for<'a>(&'a self, measurement: &'a str, field: &'a str) -> &'a [usize] {
        self.by_series_name
            .get(&(measurement, field))
            .map_or(&[], Vec::as_slice)
    }

    pub fn position_of(&self, rule_id: &str) -> Option<usize> {
        self.by_id.get(rule_id).copied()
    }
}

/// Evaluates a batch of samples (possibly empty: a tick) and returns the transitions.
pub fn evaluate(
    rules: &[Rule],
    samples: &[Sample],
    state: &mut EngineState,
    now_ms: i64,
) -> Vec<AlertTransition> {
    let index = RuleIndex::new(rules);
    evaluate_indexed(rules, &index, samples, state, now_ms)
}

/// [`evaluate`] with an index the caller keeps between calls for the same rules.
pub fn evaluate_indexed(
    rules: &[Rule],
    index: &RuleIndex<'_>,
    samples: &[Sample],
    state: &mut EngineState,
    now_ms: i64,
) -> Vec<AlertTransition> {
    state.evaluations += 1;
    let mut transitions = Vec::new();
    let mut time_order: Vec<usize> = (0..samples.len()).collect();
    time_order.sort_by_key(|position| samples[*position].timestamp_ms);
    for position in time_order {
        let sample = &samples[position];
        let series = &sample.series;
        for rule_position in index.rules_for(&series.measurement, &series.field) {
            let rule = &rules[*rule_position];
            if !rule_takes(rule, series) {
                continue;
            }
            take_sample(rule, sample, state, &mut transitions);
        }
    }
    settle_with_time(rules, index, state, now_ms, &mut transitions);
    transitions
}

fn take_sample(
    rule: &Rule,
    sample: &Sample,
    state: &mut EngineState,
    transitions: &mut Vec<AlertTransition>,
) {
    let evaluation = state.evaluations;
    let alerts = match state.by_rule.get_mut(rule.id.as_str()) {
        Some(alerts) => alerts,
        None => state.by_rule.entry(rule.id.clone()).or_default(),
    };
    let alert = match alerts.get_mut(&sample.series) {
        Some(alert) => alert,
        None => alerts
            .entry(sample.series.clone())
            .or_insert_with(|| AlertState::new(rule, &sample.series)),
    };
    let is_model = matches!(rule.kind, RuleKind::Model(_));
    if let Some(filter) = &rule.selector.filter
        && !is_model
        && !filter_selects(filter, alert)
    {
        return;
    }
    let at_ms = sample.timestamp_ms;
    if alert.last_sample_ms.is_some_and(|last_ms| at_ms <= last_ms) {
        return;
    }
    alert.adapt_to(rule);
    alert.last_sample_ms = Some(at_ms);
    let context = TransitionContext {
        rule,
        at_ms,
        evaluation,
    };
    end_flapping_if_stable(&context, alert, transitions);
    let compared = match rule.kind {
        RuleKind::Absent(_) => Some(0.0),
        _ => alert.statistic.observe(&rule.kind, at_ms, sample.value),
    };
    if let Some(value) = compared {
        update_latches(rule, alert, value, at_ms);
    }
    settle_phase(&context, alert, transitions);
    let needs_ticks = alert_needs_ticks(rule, alert, at_ms);
    if alert.needs_ticks == needs_ticks {
        return;
    }
    alert.needs_ticks = needs_ticks;
    let key = (rule.id.clone(), sample.series.clone());
    if needs_ticks {
        state.needing_ticks.insert(key);
    } else {
        state.needing_ticks.remove(&key);
    }
}

/// Whether a sample of `series` is for `rule`: its matchers, or for a model rule, its scores
/// (the runner already applied the selector to the scored series).
fn rule_takes(rule: &Rule, series: &SeriesKey) -> bool {
    match rule.kind {
        RuleKind::Model(_) => is_score_of_rule(series, &rule.id),
        _ => all_match(&rule.selector.matchers, &series.tags),
    }
}

/// The CEL filter's verdict on the alert's series, computed once per series and filter text.
fn filter_selects(filter: &CelFilter, alert: &mut AlertState) -> bool {
    if let Some((source, verdict)) = &alert.filter_verdict
        && source == filter.source()
    {
        return *verdict;
    }
    let verdict = filter.accepts(&alert.series);
    alert.filter_verdict = Some((filter.source().to_string(), verdict));
    verdict
}

/// Whether time alone can change this alert's phase.
fn alert_needs_ticks(rule: &Rule, alert: &AlertState, at_ms: i64) -> bool {
    matches!(rule.kind, RuleKind::Absent(_))
        || matches!(alert.phase, AlertPhase::Pending | AlertPhase::Resolved)
        || alert.flapping
        || has_unconfirmed_latch(rule, alert, at_ms)
}

/// The tick part: pending → firing after `for_s`, absent series, resolved → inactive,
/// flapping → stable. Alerts of rules that no longer exist are dropped.
fn settle_with_time(
    rules: &[Rule],
    index: &RuleIndex<'_>,
    state: &mut EngineState,
    now_ms: i64,
    transitions: &mut Vec<AlertTransition>,
) {
    drop_alerts_of_removed_rules(index, state);
    let evaluation = state.evaluations;
    let due = std::mem::take(&mut state.needing_ticks);
    for (rule_id, series) in due {
        let Some(rule) = index.position_of(&rule_id).map(|position| &rules[position]) else {
            continue;
        };
        let Some(alert) = state
            .by_rule
            .get_mut(&rule_id)
            .and_then(|alerts| alerts.get_mut(&series))
        else {
            continue;
        };
        alert.adapt_to(rule);
        let context = TransitionContext {
            rule,
            at_ms: now_ms,
            evaluation,
        };
        end_flapping_if_stable(&context, alert, transitions);
        if let (RuleKind::Absent(_), Some(last_sample_ms)) = (&rule.kind, alert.last_sample_ms) {
            let silent_s = now_ms.saturating_sub(last_sample_ms).max(0) as f64 / 1000.0;
            update_latches(rule, alert, silent_s, now_ms);
        }
        settle_phase(&context, alert, transitions);
        alert.needs_ticks = alert_needs_ticks(rule, alert, now_ms);
        if alert.needs_ticks {
            state.needing_ticks.insert((rule_id, series));
        }
    }
}

fn drop_alerts_of_removed_rules(index: &RuleIndex<'_>, state: &mut EngineState) {
    let removed: Vec<String> = state
        .by_rule
        .keys()
        .filter(|rule_id| index.position_of(rule_id).is_none())
        .cloned()
        .collect();
    for rule_id in removed {
        state.by_rule.remove(&rule_id);
        state
            .needing_ticks
            .retain(|(tick_rule_id, _)| *tick_rule_id != rule_id);
    }
}
