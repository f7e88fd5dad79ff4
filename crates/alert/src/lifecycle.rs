//! The per-alert state machine: level latches with hysteresis, inactive → pending → firing →
//! resolved, escalation between levels, and flap detection.
//!
//! Each level is a latch: it closes when its condition holds and opens again only when its
//! recovery condition holds (default: the condition no longer holds). A latched level
//! counts as firing once it has been latched for its `for_s`. The alert fires at the highest
//! firing level; de-escalation to a lower latched level is immediate.

use detectviz::{AlertPhase, AlertTransition, Labels, Severity, TransitionKind};

use crate::rule::{Level, Rule, RuleKind};
use crate::state::AlertState;

/// Whether the level's firing condition holds for the value compared.
fn level_fires(rule: &Rule, level: &Level, value: f64) -> bool {
    if let RuleKind::Absent(settings) = rule.kind {
        let silent_long_enough = value >= settings.for_s as f64;
        return silent_long_enough
            && level
                .condition
                .is_none_or(|condition| condition.holds(value));
    }
    level
        .condition
        .is_some_and(|condition| condition.holds(value))
}

/// Whether the level's recovery condition holds (default: its condition does not).
fn level_recovers(rule: &Rule, level: &Level, value: f64) -> bool {
    match &level.recovery {
        Some(recovery) => recovery.holds(value) && !level_fires(rule, level, value),
        None => !level_fires(rule, level, value),
    }
}

/// Updates the level latches with a new value compared at `at_ms`.
pub(crate) fn update_latches(rule: &Rule, alert: &mut AlertState, value: f64, at_ms: i64) {
    alert.last_value = Some(value);
    for (level, held_since) in rule.levels.iter().zip(alert.level_held_since_ms.iter_mut()) {
        match held_since {
            None if level_fires(rule, level, value) => *held_since = Some(at_ms),
            Some(_) if level_recovers(rule, level, value) => *held_since = None,
            _ => {}
        }
    }
}

fn for_duration_ms(level: &Level) -> i64 {
    i64::try_from(level.for_s)
        .unwrap_or(i64::MAX / 1000)
        .saturating_mul(1000)
}

/// Highest level latched for at least its `for_s`, and highest level latched at all.
fn latched_severities(
    rule: &Rule,
    alert: &AlertState,
    at_ms: i64,
) -> (Option<Severity>, Option<Severity>) {
    let mut firing = None;
    let mut latched = None;
    for (level, held_since) in rule.levels.iter().zip(&alert.level_held_since_ms) {
        let Some(since_ms) = held_since else {
            continue;
        };
        latched = latched.max(Some(level.severity));
        if at_ms.saturating_sub(*since_ms) >= for_duration_ms(level) {
            firing = firing.max(Some(level.severity));
        }
    }
    (firing, latched)
}

/// Whether some latched level has not reached its `for_s` yet (so a tick may promote it).
pub(crate) fn has_unconfirmed_latch(rule: &Rule, alert: &AlertState, at_ms: i64) -> bool {
    rule.levels
        .iter()
        .zip(&alert.level_held_since_ms)
        .any(|(level, held_since)| {
            held_since
                .is_some_and(|since_ms| at_ms.saturating_sub(since_ms) < for_duration_ms(level))
        })
}

/// Everything a transition needs besides the alert itself.
pub(crate) struct TransitionContext<'a> {
    pub rule: &'a Rule,
    pub at_ms: i64,
    pub evaluation: u64,
}

/// Moves the alert to the phase its latches call for at `at_ms`, recording transitions.
pub(crate) fn settle_phase(
    context: &TransitionContext<'_>,
    alert: &mut AlertState,
    transitions: &mut Vec<AlertTransition>,
) {
    let (firing, latched) = latched_severities(context.rule, alert, context.at_ms);
    match alert.phase {
        AlertPhase::Inactive | AlertPhase::Resolved => {
            if let Some(severity) = firing {
                alert.active_since_ms = Some(context.at_ms);
                change(
                    context,
                    alert,
                    AlertPhase::Firing,
                    severity,
                    TransitionKind::Firing,
                    transitions,
                );
                return;
            }
            if let Some(severity) = latched {
                alert.active_since_ms = Some(context.at_ms);
                alert.pending_since_ms = Some(context.at_ms);
                change(
                    context,
                    alert,
                    AlertPhase::Pending,
                    severity,
                    TransitionKind::Pending,
                    transitions,
                );
                return;
            }
            if alert.phase == AlertPhase::Resolved
                && context.evaluation > alert.resolved_in_evaluation
            {
                alert.phase = AlertPhase::Inactive;
                alert.since_ms = context.at_ms;
                alert.active_since_ms = None;
            }
        }
        AlertPhase::Pending => {
            if let Some(severity) = firing {
                alert.pending_since_ms = None;
                change(
                    context,
                    alert,
                    AlertPhase::Firing,
                    severity,
                    TransitionKind::Firing,
                    transitions,
                );
                return;
            }
            if let Some(severity) = latched {
                alert.severity = Some(severity);
                return;
            }
            let severity = alert.severity.unwrap_or(Severity::Info);
            alert.pending_since_ms = None;
            change(
                context,
                alert,
                AlertPhase::Inactive,
                severity,
                TransitionKind::Cancelled,
                transitions,
            );
            alert.active_since_ms = None;
        }
        AlertPhase::Firing => {
            let current = alert.severity.unwrap_or(Severity::Info);
            let Some(severity) = firing.or(latched) else {
                alert.resolved_in_evaluation = context.evaluation;
                change(
                    context,
                    alert,
                    AlertPhase::Resolved,
                    current,
                    TransitionKind::Resolved,
                    transitions,
                );
                return;
            };
            if severity > current {
                change(
                    context,
                    alert,
                    AlertPhase::Firing,
                    severity,
                    TransitionKind::Escalated,
                    transitions,
                );
            } else if severity < current {
                change(
                    context,
                    alert,
                    AlertPhase::Firing,
                    severity,
                    TransitionKind::DeEscalated,
                    transitions,
                );
            }
        }
    }
}

/// Applies one change and records its transition, running flap detection on the way.
fn change(
    context: &TransitionContext<'_>,
    alert: &mut AlertState,
    to: AlertPhase,
    severity: Severity,
    kind: TransitionKind,
    transitions: &mut Vec<AlertTransition>,
) {
    let from = alert.phase;
    let previous_severity = alert.severity;
    alert.phase = to;
    alert.severity = Some(severity);
    alert.since_ms = context.at_ms;
    let counts_for_flapping = matches!(
        kind,
        TransitionKind::Firing
            | TransitionKind::Resolved
            | TransitionKind::Escalated
            | TransitionKind::DeEscalated
    );
    let mut started_flapping = false;
    if counts_for_flapping && let Some(policy) = context.rule.flap {
        alert.recent_changes_ms.push_back(context.at_ms);
        let window_ms = i64::try_from(policy.window_s).unwrap_or(i64::MAX / 1000) * 1000;
        let oldest_counted = context.at_ms.saturating_sub(window_ms);
        while alert
            .recent_changes_ms
            .front()
            .is_some_and(|time| *time < oldest_counted)
        {
            alert.recent_changes_ms.pop_front();
        }
        let too_many = alert.recent_changes_ms.len() > policy.max_changes as usize;
        if too_many && !alert.flapping {
            alert.flapping = true;
            started_flapping = true;
        }
    }
    let mut transition = build_transition(context, alert, kind, from, previous_severity);
    // Pending and its cancellation go to the history, not to people.
    let worth_telling = !matches!(kind, TransitionKind::Pending | TransitionKind::Cancelled);
    transition.notify = worth_telling && !alert.flapping;
    transitions.push(transition);
    if started_flapping {
        let mut flapping = build_transition(
            context,
            alert,
            TransitionKind::Flapping,
            to,
            previous_severity,
        );
        flapping.notify = true;
        transitions.push(flapping);
    }
}

/// Ends flapping once no change happened for the flap window; the transition carries the
/// current phase and level so notifiers can send the settled state.
pub(crate) fn end_flapping_if_stable(
    context: &TransitionContext<'_>,
    alert: &mut AlertState,
    transitions: &mut Vec<AlertTransition>,
) {
    let Some(policy) = context.rule.flap else {
        alert.flapping = false;
        return;
    };
    if !alert.flapping {
        return;
    }
    let window_ms = i64::try_from(policy.window_s).unwrap_or(i64::MAX / 1000) * 1000;
    let last_change_ms = alert.recent_changes_ms.back().copied().unwrap_or(i64::MIN);
    if context.at_ms.saturating_sub(last_change_ms) < window_ms {
        return;
    }
    alert.flapping = false;
    alert.recent_changes_ms.clear();
    let mut ended = build_transition(
        context,
        alert,
        TransitionKind::FlappingEnded,
        alert.phase,
        alert.severity,
    );
    ended.notify = true;
    transitions.push(ended);
}

/// Series tags, then rule labels, then `alertname` and `severity`.
pub(crate) fn alert_labels(rule: &Rule, alert: &AlertState, severity: Severity) -> Labels {
    let mut labels = alert.series.tags.clone();
    for (name, value) in rule.labels.iter() {
        labels.insert(name, value);
    }
    labels.insert("alertname", rule.name.as_str());
    labels.insert("severity", severity.as_str());
    labels
}

fn build_transition(
    context: &TransitionContext<'_>,
    alert: &AlertState,
    kind: TransitionKind,
    from: AlertPhase,
    previous_severity: Option<Severity>,
) -> AlertTransition {
    let severity = alert.severity.unwrap_or(Severity::Info);
    AlertTransition {
        fingerprint: alert.fingerprint.clone(),
        rule_id: context.rule.id.clone(),
        rule_name: context.rule.name.clone(),
        series: alert.series.clone(),
        labels: alert_labels(context.rule, alert, severity),
        annotations: context.rule.annotations.clone(),
        kind,
        from,
        to: alert.phase,
        severity,
        previous_severity,
        value: alert.last_value,
        at_ms: context.at_ms,
        active_since_ms: alert.active_since_ms,
        flapping: alert.flapping,
        notify: true,
    }
}
