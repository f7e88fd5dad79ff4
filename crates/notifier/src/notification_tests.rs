use super::*;
use crate::sample::{
    SAMPLE_RESOLVED_AT_MS, SAMPLE_STARTS_AT_MS, sample_notification, sample_transitions,
};

#[test]
fn a_firing_group_keeps_both_alerts_and_their_common_labels() {
    let notification = sample_notification(NotificationStatus::Firing);
    assert_eq!(notification.status, NotificationStatus::Firing);
    assert_eq!(notification.alerts.len(), 2);
    assert_eq!(notification.alerts[0].fingerprint, "a1c3e5f7a9b1c3e5");
    assert_eq!(notification.alerts[0].ends_at, None);
    assert_eq!(
        notification.alerts[0].starts_at.timestamp_millis(),
        SAMPLE_STARTS_AT_MS
    );
    assert_eq!(
        notification.common_labels,
        BTreeMap::from([
            (
                "alertname".to_string(),
                "SpindleTemperatureHigh".to_string()
            ),
            ("site".to_string(), "plant-a".to_string()),
        ])
    );
    assert_eq!(
        notification.common_annotations,
        BTreeMap::from([("runbook".to_string(), "Check coolant flow".to_string())])
    );
    assert_eq!(notification.highest_severity(), Severity::Critical);
    assert_eq!(
        notification.title,
        "[FIRING:2] Critical SpindleTemperatureHigh"
    );
    assert_eq!(
        notification.alerts[0].generator_url.as_deref(),
        Some("http://detectviz.plant-a.example:8080/alerts/a1c3e5f7a9b1c3e5")
    );
}

#[test]
fn a_resolved_group_has_end_times() {
    let notification = sample_notification(NotificationStatus::Resolved);
    assert_eq!(notification.status, NotificationStatus::Resolved);
    let ends_at = notification.alerts[0].ends_at.expect("resolved alerts end");
    assert_eq!(ends_at.timestamp_millis(), SAMPLE_RESOLVED_AT_MS);
}

#[test]
fn one_firing_alert_makes_the_group_firing_and_comes_first() {
    let mut transitions = sample_transitions(NotificationStatus::Resolved);
    transitions[1] = sample_transitions(NotificationStatus::Firing).remove(1);
    let notification =
        Notification::from_transitions(NotificationContext::default(), &transitions).unwrap();
    assert_eq!(notification.status, NotificationStatus::Firing);
    assert_eq!(notification.alerts[0].status, NotificationStatus::Firing);
    assert_eq!(notification.alerts[1].status, NotificationStatus::Resolved);
    assert_eq!(notification.firing_alerts().count(), 1);
    assert_eq!(notification.highest_severity(), Severity::Warning);
    assert_eq!(notification.alerts[0].generator_url, None);
}

#[test]
fn the_latest_transition_of_a_fingerprint_wins() {
    let mut transitions = sample_transitions(NotificationStatus::Firing);
    transitions.extend(sample_transitions(NotificationStatus::Resolved));
    let notification =
        Notification::from_transitions(NotificationContext::default(), &transitions).unwrap();
    assert_eq!(notification.alerts.len(), 2);
    assert_eq!(notification.status, NotificationStatus::Resolved);
}

#[test]
fn the_idempotency_key_is_stable_and_depends_on_receiver_and_transitions() {
    let first = sample_notification(NotificationStatus::Firing);
    let again = sample_notification(NotificationStatus::Firing);
    assert_eq!(first.idempotency_key, again.idempotency_key);
    assert_eq!(first.idempotency_key.len(), 32);
    let resolved = sample_notification(NotificationStatus::Resolved);
    assert_ne!(first.idempotency_key, resolved.idempotency_key);
    let other_receiver = Notification::from_transitions(
        NotificationContext {
            receiver: "night-shift".to_string(),
            ..NotificationContext::default()
        },
        &sample_transitions(NotificationStatus::Firing),
    )
    .unwrap();
    assert_ne!(first.idempotency_key, other_receiver.idempotency_key);
}

#[test]
fn no_transitions_is_an_error() {
    let result = Notification::from_transitions(NotificationContext::default(), &[]);
    assert_eq!(result, Err(NotificationError::NoTransitions));
}
