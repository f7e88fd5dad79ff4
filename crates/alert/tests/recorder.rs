//! The recorder makes transitions durable in the store exactly once per event, on SQLite and
//! MariaDB, and ends acknowledgements when an alert resolves.

use alert::recorder::record_transition;
use alert::{Transition, TransitionKind, evaluate, parse_rules_toml};
use detectviz::{Sample, SeriesKey};
use store::Store;

const RULES: &str = r#"
[[rules]]
id = "boiler-hot"
name = "BoilerHot"
selector = { measurement = "modbus", field = "temp_c" }
[[rules.levels]]
severity = "warning"
condition = { op = ">", value = 80 }
[[rules.levels]]
severity = "critical"
condition = { op = ">", value = 90 }
"#;

fn transitions_for(values: &[f64]) -> Vec<Transition> {
    let rules = parse_rules_toml(RULES).unwrap();
    let mut state = alert::EngineState::new();
    let series = SeriesKey {
        measurement: "modbus".into(),
        tags: [("device", "boiler-1")].into_iter().collect(),
        field: "temp_c".into(),
    };
    let mut transitions = Vec::new();
    for (index, value) in values.iter().enumerate() {
        let at = 1_000 * (index as i64 + 1);
        let sample = Sample {
            series: series.clone(),
            timestamp_ms: at,
            value: *value,
        };
        transitions.extend(evaluate(&rules, &[sample], &mut state, at));
    }
    transitions
}

async fn history_and_state_are_recorded_once(store: &Store) -> anyhow::Result<()> {
    let transitions = transitions_for(&[85.0, 95.0, 50.0]);
    let kinds: Vec<TransitionKind> = transitions
        .iter()
        .map(|transition| transition.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            TransitionKind::Firing,
            TransitionKind::Escalated,
            TransitionKind::Resolved
        ]
    );
    let fingerprint = transitions[0].fingerprint.clone();

    record_transition(store, "event-1", &transitions[0]).await?;
    record_transition(store, "event-1", &transitions[0]).await?;
    let alert = store
        .alerts()
        .get(&fingerprint)
        .await?
        .expect("current state stored");
    assert_eq!(alert.current.state, "firing");
    assert_eq!(alert.current.severity, "warning");
    assert_eq!(
        store.alert_events().history(&fingerprint, 10).await?.len(),
        1,
        "a redelivery adds nothing"
    );

    store
        .alerts()
        .acknowledge(&fingerprint, "olga", 1_500, "on it", "warning")
        .await?;
    record_transition(store, "event-2", &transitions[1]).await?;
    let alert = store.alerts().get(&fingerprint).await?.unwrap();
    assert_eq!(alert.current.severity, "critical");
    assert!(
        alert.acknowledgement.is_none(),
        "a level rise ends the acknowledgement"
    );

    record_transition(store, "event-3", &transitions[2]).await?;
    let alert = store.alerts().get(&fingerprint).await?.unwrap();
    assert_eq!(alert.current.state, "resolved");
    assert_eq!(alert.current.resolved_at_ms, Some(3_000));
    let history: Vec<String> = store
        .alert_events()
        .history(&fingerprint, 10)
        .await?
        .into_iter()
        .map(|event| event.kind)
        .collect();
    assert_eq!(history, ["firing", "escalated", "resolved"]);
    Ok(())
}

store::test_on_both_backends!(history_and_state_are_recorded_once);
