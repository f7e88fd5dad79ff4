//! A sample firing alert transition, for trying an action by hand and for tests: a spindle
//! temperature alert on line 3 of plant A.

use std::collections::BTreeMap;

use detectviz::{AlertPhase, AlertTransition, Labels, SeriesKey, Severity, TransitionKind};

/// 2025-06-01T02:02:00Z, when the sample alert started firing.
pub const SAMPLE_AT_MS: i64 = 1_748_743_320_000;

/// The sample transition: `SpindleTemperatureHigh` firing at critical on `line-3`.
pub fn sample_transition() -> AlertTransition {
    let tags: Labels = [("site", "plant-a"), ("line", "line-3")]
        .into_iter()
        .collect();
    let mut labels = tags.clone();
    labels.insert("alertname", "SpindleTemperatureHigh");
    labels.insert("severity", "critical");
    AlertTransition {
        fingerprint: "a1c3e5f7a9b1c3e5".to_string(),
        rule_id: "spindle-temperature".to_string(),
        rule_name: "SpindleTemperatureHigh".to_string(),
        series: SeriesKey {
            measurement: "spindle".to_string(),
            tags,
            field: "temperature".to_string(),
        },
        labels,
        annotations: BTreeMap::from([(
            "summary".to_string(),
            "Spindle temperature 92.5 °C on line-3".to_string(),
        )]),
        kind: TransitionKind::Firing,
        from: AlertPhase::Pending,
        to: AlertPhase::Firing,
        severity: Severity::Critical,
        previous_severity: None,
        value: Some(92.5),
        at_ms: SAMPLE_AT_MS,
        active_since_ms: Some(SAMPLE_AT_MS),
        flapping: false,
        notify: true,
    }
}
