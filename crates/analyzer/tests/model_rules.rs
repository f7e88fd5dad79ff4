//! The model-rule runner end to end with the REAL anomaly service: scores become samples the
//! alert engine fires on, flagged points become `dv:anomaly` events carrying the run's trace
//! context, and with the service stopped the model rule is `unknown` with the reason while a
//! threshold rule keeps firing; when the service returns, the rule is scored again.

use std::sync::Arc;

use alert::runner::{ALERTS_STREAM, AlertRunner};
use alert::{Transition, TransitionKind, parse_rules_toml};
use analyzer::testing::AnomalyService;
use analyzer::{
    ANOMALY_STREAM, Analyzer, AnalyzerConfig, AnomalyEvent, ModelRuleRunner, ModelRuleState,
};
use detectviz::{Event, Sample, SeriesKey};
use eventbus::{BusConfig, ReplayFrom};
use ingest::{SeriesWindow, SeriesWindowConfig};

const RULES: &str = r#"
[[rules]]
id = "pump-vibration-model"
name = "PumpVibrationAnomaly"
selector = { measurement = "modbus", field = "vibration", matchers = [{ name = "asset", op = "=~", value = "pump-.*" }] }
kind = { type = "model", method = "robust_z", points = 100 }
[[rules.levels]]
severity = "warning"
condition = { op = ">", value = 0.9 }

[[rules]]
id = "boiler-hot"
name = "BoilerHot"
selector = { measurement = "modbus", field = "temp_c" }
[[rules.levels]]
severity = "critical"
condition = { op = ">", value = 90 }
"#;

fn series(field: &str, asset: &str) -> SeriesKey {
    SeriesKey {
        measurement: "modbus".into(),
        tags: [("asset", asset)].into_iter().collect(),
        field: field.into(),
    }
}

/// 100 points of a steady vibration (a small deterministic wobble), a spike at point 90.
fn vibration_samples(key: &SeriesKey) -> Vec<Sample> {
    (0..100)
        .map(|index| Sample {
            series: key.clone(),
            timestamp_ms: 1_000_000 + index * 1_000,
            value: if index == 90 {
                40.0
            } else {
                2.0 + ((index * 7) % 11) as f64 * 0.05
            },
        })
        .collect()
}

async fn replay<T: serde::de::DeserializeOwned>(
    bus: &eventbus::EventBus,
    stream: &str,
) -> Vec<(Event, T)> {
    bus.replay(stream, ReplayFrom::Id("0-0".parse().unwrap()), 1_000)
        .await
        .unwrap()
        .iter()
        .map(|entry| {
            let event = Event::from_json(&entry.payload).unwrap();
            let data = event.data_as::<T>().unwrap();
            (event, data)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn model_rules_fire_on_scores_and_turn_unknown_while_the_service_is_down()
-> anyhow::Result<()> {
    let mut service = AnomalyService::start();
    let directory = tempfile::tempdir()?;
    let bus = eventbus::connect(&BusConfig {
        embedded_path: directory.path().join("bus.db"),
        ..Default::default()
    })
    .await?;
    let alerts = AlertRunner::new(bus.clone(), parse_rules_toml(RULES)?);
    let window = Arc::new(SeriesWindow::new(SeriesWindowConfig {
        samples_per_series: 200,
        max_series: 1_000,
    }));
    let pump = series("vibration", "pump-1");
    window.insert_samples(&vibration_samples(&pump));
    window.insert_samples(&vibration_samples(&series("vibration", "fan-1")));
    let analyzer = Arc::new(Analyzer::new(&AnalyzerConfig {
        enabled: true,
        url: service.url(),
        max_attempts: 1,
        breaker_failures: 1,
        breaker_open_ms: 2_000,
        ..AnalyzerConfig::default()
    })?);
    let runner = ModelRuleRunner::new(analyzer, alerts.clone(), bus.clone(), window.clone());

    let status = runner.run_once(2_000_000).await;
    assert!(status.available, "{status:?}");
    let rule = status.rule("pump-vibration-model").unwrap();
    assert_eq!(
        (rule.state, rule.series, rule.flagged),
        (ModelRuleState::Ok, 1, 1)
    );

    let anomalies: Vec<(Event, AnomalyEvent)> = replay(&bus, ANOMALY_STREAM).await;
    assert_eq!(anomalies.len(), 1);
    let (event, anomaly) = &anomalies[0];
    assert_eq!(anomaly.timestamp_ms, 1_090_000);
    assert_eq!(anomaly.series, pump.to_string());
    assert_eq!(anomaly.method, "robust_z");
    assert!(
        anomaly.score > 0.9 && anomaly.reason.is_some(),
        "{anomaly:?}"
    );
    assert!(event.traceparent.is_some());
    let fired: Vec<(Event, Transition)> = replay(&bus, ALERTS_STREAM).await;
    let model_firing: Vec<&Transition> = fired
        .iter()
        .map(|(_, transition)| transition)
        .filter(|transition| transition.labels.get("alertname") == Some("PumpVibrationAnomaly"))
        .collect();
    assert_eq!(model_firing[0].kind, TransitionKind::Firing);
    assert_eq!(
        model_firing[0].labels.get("series"),
        Some(pump.to_string().as_str())
    );

    // A second run over the same points publishes nothing again.
    runner.run_once(2_001_000).await;
    assert_eq!(replay::<AnomalyEvent>(&bus, ANOMALY_STREAM).await.len(), 1);

    service.stop();
    let status = runner.run_once(2_002_000).await;
    assert!(!status.available);
    let rule = status.rule("pump-vibration-model").unwrap();
    assert_eq!(rule.state, ModelRuleState::Unknown);
    let reason = rule.reason.as_deref().unwrap();
    assert!(reason.contains("cannot connect"), "{reason}");
    assert!(status.reason.as_deref().unwrap().contains("cannot connect"));

    let boiler = Sample {
        series: series("temp_c", "boiler-1"),
        timestamp_ms: 2_002_000,
        value: 95.0,
    };
    let transitions = alerts.on_samples(&[boiler], 2_002_000).await?;
    assert_eq!(transitions.len(), 1, "{transitions:?}");
    assert_eq!(transitions[0].kind, TransitionKind::Firing);
    assert_eq!(transitions[0].labels.get("alertname"), Some("BoilerHot"));

    let status = runner.run_once(2_003_000).await;
    let reason = status.rule("pump-vibration-model").unwrap().reason.clone();
    assert!(
        reason.unwrap().contains("circuit open"),
        "the breaker answers at once"
    );

    service.start_again();
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
    let status = runner.run_once(2_004_000).await;
    assert!(status.available, "{status:?}");
    assert_eq!(
        status.rule("pump-vibration-model").unwrap().state,
        ModelRuleState::Ok
    );
    Ok(())
}
