//! A sample alert group, for `detectviz notify test --channel NAME` and for tests: two
//! spindle temperature alerts on one site, firing or resolved.

use std::collections::BTreeMap;

use detectviz::{AlertPhase, AlertTransition, Labels, SeriesKey, Severity, TransitionKind};

use crate::notification::{Notification, NotificationContext, NotificationStatus};

/// 2025-06-01T02:02:00Z, when the sample alerts started firing.
pub const SAMPLE_STARTS_AT_MS: i64 = 1_748_743_320_000;
/// 2025-06-01T02:17:00Z, when the sample alerts resolved.
pub const SAMPLE_RESOLVED_AT_MS: i64 = 1_748_744_220_000;

/// The sample group's transitions: both alerts firing, or both resolved.
pub fn sample_transitions(status: NotificationStatus) -> Vec<AlertTransition> {
    [
        ("a1c3e5f7a9b1c3e5", "line-3", Severity::Critical, 92.5),
        ("b2d4f6a8b0c2d4f6", "line-4", Severity::Warning, 86.0),
    ]
    .into_iter()
    .map(|(fingerprint, line, severity, value)| {
        sample_transition(status, fingerprint, line, severity, value)
    })
    .collect()
}

/// The sample group's notification for the receiver `ops`.
pub fn sample_notification(status: NotificationStatus) -> Notification {
    let context = NotificationContext {
        group_key: "{}:{alertname=\"SpindleTemperatureHigh\"}".to_string(),
        receiver: "ops".to_string(),
        group_labels: [("alertname", "SpindleTemperatureHigh")]
            .into_iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect(),
        external_url: "http://detectviz.plant-a.example:8080".to_string(),
    };
    Notification::from_transitions(context, &sample_transitions(status))
        .expect("the sample has transitions")
}

fn sample_transition(
    status: NotificationStatus,
    fingerprint: &str,
    line: &str,
    severity: Severity,
    value: f64,
) -> AlertTransition {
    let tags: Labels = [("site", "plant-a"), ("line", line)].into_iter().collect();
    let mut labels = tags.clone();
    labels
        .0
        .insert("alertname".into(), "SpindleTemperatureHigh".into());
    labels.0.insert("severity".into(), severity.as_str().into());
    let annotations = BTreeMap::from([
        (
            "summary".to_string(),
            format!("Spindle temperature {value} °C on {line}"),
        ),
        ("runbook".to_string(), "Check coolant flow".to_string()),
    ]);
    let (kind, from, to, at_ms) = match status {
        NotificationStatus::Firing => (
            TransitionKind::Firing,
            AlertPhase::Pending,
            AlertPhase::Firing,
            SAMPLE_STARTS_AT_MS,
        ),
        NotificationStatus::Resolved => (
            TransitionKind::Resolved,
            AlertPhase::Firing,
            AlertPhase::Resolved,
            SAMPLE_RESOLVED_AT_MS,
        ),
    };
    AlertTransition {
        fingerprint: fingerprint.to_string(),
        rule_id: "spindle-temperature".to_string(),
        rule_name: "SpindleTemperatureHigh".to_string(),
        series: SeriesKey {
            measurement: "spindle".to_string(),
            tags,
            field: "temperature".to_string(),
        },
        labels,
        annotations,
        kind,
        from,
        to,
        severity,
        previous_severity: None,
        value: Some(value),
        at_ms,
        active_since_ms: Some(SAMPLE_STARTS_AT_MS),
        flapping: false,
        notify: true,
    }
}
