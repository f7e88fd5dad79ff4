use std::time::Duration;

use detectviz::{AlertPhase, TransitionKind};

use super::*;
use crate::NotificationStatus;
use crate::sample::sample_transitions;

const SECOND_MS: i64 = 1_000;

fn group() -> GroupId {
    GroupId {
        group_key: "/:{alertname=\"SpindleTemperatureHigh\"}".to_string(),
        receiver: "ops".to_string(),
        channel: "ops-webhook".to_string(),
        contact_id: String::new(),
    }
}

fn timing() -> GroupTiming {
    GroupTiming {
        group_wait: Duration::from_secs(30),
        group_interval: Duration::from_secs(300),
        repeat_interval: Duration::from_secs(3_600),
    }
}

/// The transition resolved `after_ms` after it fired.
fn resolved(transition: &AlertTransition, after_ms: i64) -> AlertTransition {
    let mut resolved = transition.clone();
    resolved.kind = TransitionKind::Resolved;
    resolved.from = AlertPhase::Firing;
    resolved.to = AlertPhase::Resolved;
    resolved.at_ms = transition.at_ms + after_ms;
    resolved
}

#[test]
fn the_first_alerts_wait_group_wait_together() {
    let mut timers = GroupTimers::new();
    assert_eq!(timers.schedule(&group(), timing(), 0), 30 * SECOND_MS);
    assert_eq!(
        timers.schedule(&group(), timing(), 12 * SECOND_MS),
        30 * SECOND_MS,
        "a second alert joins the first batch"
    );
    let mut other = group();
    other.channel = "ops-line".to_string();
    assert_eq!(
        timers.schedule(&other, timing(), 5 * SECOND_MS),
        35 * SECOND_MS
    );
}

#[test]
fn later_changes_wait_group_interval_after_the_last_send() {
    let mut timers = GroupTimers::new();
    let firing = sample_transitions(NotificationStatus::Firing);
    timers.schedule(&group(), timing(), 0);
    timers.record_sent(&group(), &BTreeMap::new(), &firing, 30 * SECOND_MS);
    assert_eq!(timers.firing_alerts(&group()).len(), 2);
    assert_eq!(
        timers.schedule(&group(), timing(), 40 * SECOND_MS),
        330 * SECOND_MS
    );
    assert_eq!(
        timers.schedule(&group(), timing(), 400 * SECOND_MS),
        400 * SECOND_MS,
        "after group_interval a change goes out at once"
    );
}

#[test]
fn still_firing_groups_repeat_after_repeat_interval() {
    let mut timers = GroupTimers::new();
    let firing = sample_transitions(NotificationStatus::Firing);
    timers.schedule(&group(), timing(), 0);
    assert!(
        timers.due_repeats(10_000 * SECOND_MS).is_empty(),
        "never sent"
    );
    timers.record_sent(&group(), &BTreeMap::new(), &firing, 30 * SECOND_MS);
    assert!(timers.due_repeats(3_629 * SECOND_MS).is_empty());
    let due = timers.due_repeats(3_630 * SECOND_MS);
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].last_sent_ms, 30 * SECOND_MS);
    assert_eq!(due[0].firing.len(), 2);
    timers.record_sent(
        &group(),
        &BTreeMap::new(),
        &due[0].firing,
        3_630 * SECOND_MS,
    );
    assert!(timers.due_repeats(3_631 * SECOND_MS).is_empty());
}

#[test]
fn resolved_alerts_leave_and_an_empty_group_is_forgotten() {
    let mut timers = GroupTimers::new();
    let firing = sample_transitions(NotificationStatus::Firing);
    timers.schedule(&group(), timing(), 0);
    timers.record_sent(&group(), &BTreeMap::new(), &firing, 30 * SECOND_MS);
    timers.record_sent(
        &group(),
        &BTreeMap::new(),
        &[resolved(&firing[0], 100 * SECOND_MS)],
        400 * SECOND_MS,
    );
    assert_eq!(timers.firing_alerts(&group()).len(), 1);
    timers.record_sent(
        &group(),
        &BTreeMap::new(),
        &[resolved(&firing[1], 500 * SECOND_MS)],
        800 * SECOND_MS,
    );
    assert!(timers.firing_alerts(&group()).is_empty());
    assert!(timers.due_repeats(100_000 * SECOND_MS).is_empty());
    assert_eq!(
        timers.schedule(&group(), timing(), 900 * SECOND_MS),
        930 * SECOND_MS,
        "a new alert after the group emptied waits group_wait again"
    );
}
