//! The runner publishes every transition on `dv:alerts` as a CloudEvents envelope, for
//! batches, ticks and alerts pushed through the Alertmanager API.

use alert::alertmanager::PostableAlert;
use alert::runner::{ALERTS_STREAM, AlertRunner};
use alert::{Transition, TransitionKind, parse_rules_toml};
use detectviz::{Sample, SeriesKey};
use eventbus::{BusConfig, ReplayFrom};

const RULES: &str = r#"
[[rules]]
id = "boiler-hot"
name = "BoilerHot"
selector = { measurement = "modbus", field = "temp_c" }
[[rules.levels]]
severity = "critical"
condition = { op = ">", value = 90 }
recovery = { op = "<", value = 85 }
"#;

fn sample(value: f64, at_ms: i64) -> Sample {
    let series = SeriesKey {
        measurement: "modbus".into(),
        tags: [("device", "boiler-1")].into_iter().collect(),
        field: "temp_c".into(),
    };
    Sample {
        series,
        timestamp_ms: at_ms,
        value,
    }
}

async fn published(bus: &eventbus::EventBus) -> Vec<(String, Transition)> {
    let entries = bus
        .replay(ALERTS_STREAM, ReplayFrom::Id("0-0".parse().unwrap()), 100)
        .await
        .unwrap();
    entries
        .iter()
        .map(|entry| {
            let event = detectviz::Event::from_json(&entry.payload).unwrap();
            (
                event.event_type.clone(),
                event.data_as::<Transition>().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn firing_and_resolution_are_published_as_events() {
    let directory = tempfile::tempdir().unwrap();
    let bus = eventbus::connect(&BusConfig {
        embedded_path: directory.path().join("bus.db"),
        ..Default::default()
    })
    .await
    .unwrap();
    let runner = AlertRunner::new(bus.clone(), parse_rules_toml(RULES).unwrap());

    let fired = runner
        .on_samples(&[sample(95.0, 1_000)], 1_000)
        .await
        .unwrap();
    assert_eq!(fired.len(), 1);
    runner
        .on_samples(&[sample(88.0, 2_000)], 2_000)
        .await
        .unwrap();
    runner
        .on_samples(&[sample(80.0, 3_000)], 3_000)
        .await
        .unwrap();

    let events = published(&bus).await;
    let kinds: Vec<TransitionKind> = events
        .iter()
        .map(|(_, transition)| transition.kind)
        .collect();
    assert_eq!(
        kinds,
        [TransitionKind::Firing, TransitionKind::Resolved],
        "88 is inside the hysteresis band"
    );
    assert_eq!(events[0].0, "io.detectviz.alert.firing");
    assert_eq!(events[0].1.fingerprint, events[1].1.fingerprint);
    assert_eq!(runner.outbox_len(), 0);
}

#[tokio::test]
async fn alerts_pushed_like_prometheus_does_are_published_and_bad_ones_named() {
    let directory = tempfile::tempdir().unwrap();
    let bus = eventbus::connect(&BusConfig {
        embedded_path: directory.path().join("bus.db"),
        ..Default::default()
    })
    .await
    .unwrap();
    let runner = AlertRunner::new(bus.clone(), Vec::new());
    let alerts: Vec<PostableAlert> = serde_json::from_str(
        r#"[{"labels": {"alertname": "InstanceDown", "instance": "plc-7", "severity": "critical"},
             "annotations": {"summary": "plc-7 is down"},
             "startsAt": "2026-11-25T01:00:00Z"},
            {"labels": {}, "annotations": {}}]"#,
    )
    .unwrap();
    let rejected = runner
        .on_external_alerts(&alerts, 1_700_000_000_000)
        .await
        .unwrap();
    assert_eq!(rejected.len(), 1, "the alert without labels is rejected");
    assert_eq!(rejected[0].0, 1);
    let events = published(&bus).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].1.kind, TransitionKind::Firing);
    assert_eq!(events[0].1.labels.get("instance"), Some("plc-7"));
    assert_eq!(runner.external_alerts().len(), 1);
}
