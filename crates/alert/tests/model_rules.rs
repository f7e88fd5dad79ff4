//! The `model` rule kind: validation, and that the engine evaluates the scores the analyzer
//! feeds back (`anomaly_score.score{rule, series}`) with the ordinary condition machinery.

use alert::{EngineState, TransitionKind, anomaly_score_series, evaluate, parse_rules_toml};
use detectviz::{Sample, SeriesKey};

const MODEL_RULE: &str = r#"
    [[rules]]
    id = "pump-model"
    name = "PumpAnomaly"
    selector = { measurement = "modbus", field = "vibration" }
    kind = { type = "model", method = "ewma", params = { lambda = 0.3 } }
    [[rules.levels]]
    severity = "warning"
    condition = { op = ">", value = 0.9 }
    for_s = 120
"#;

fn score(rule_id: &str, at_ms: i64, value: f64) -> Sample {
    Sample {
        series: anomaly_score_series(rule_id, "modbus.vibration{asset=pump-1}"),
        timestamp_ms: at_ms,
        value,
    }
}

#[test]
fn a_score_above_the_condition_for_two_minutes_fires_the_model_rule() {
    let rules = parse_rules_toml(MODEL_RULE).unwrap();
    let mut state = EngineState::new();
    let first = evaluate(&rules, &[score("pump-model", 0, 0.95)], &mut state, 0);
    assert_eq!(first[0].kind, TransitionKind::Pending);
    let before = evaluate(
        &rules,
        &[score("pump-model", 60_000, 0.97)],
        &mut state,
        60_000,
    );
    assert!(before.is_empty(), "{before:?}");
    let fired = evaluate(
        &rules,
        &[score("pump-model", 120_000, 0.99)],
        &mut state,
        120_000,
    );
    assert_eq!(fired[0].kind, TransitionKind::Firing);
    assert_eq!(fired[0].labels.get("rule"), Some("pump-model"));
    assert_eq!(
        fired[0].labels.get("series"),
        Some("modbus.vibration{asset=pump-1}")
    );
}

#[test]
fn a_model_rule_ignores_the_raw_series_and_scores_of_other_rules() {
    let rules = parse_rules_toml(MODEL_RULE).unwrap();
    let mut state = EngineState::new();
    let raw = Sample {
        series: SeriesKey {
            measurement: "modbus".into(),
            tags: [("asset", "pump-1")].into_iter().collect(),
            field: "vibration".into(),
        },
        timestamp_ms: 0,
        value: 50.0,
    };
    let transitions = evaluate(&rules, &[raw, score("other-rule", 0, 1.0)], &mut state, 0);
    assert!(transitions.is_empty(), "{transitions:?}");
    assert!(state.is_empty());
}

#[test]
fn a_model_rule_needs_exactly_one_of_method_or_model_id() {
    let both = MODEL_RULE.replace("method = \"ewma\"", "method = \"ewma\", model_id = \"m1\"");
    let error = parse_rules_toml(&both).unwrap_err().to_string();
    assert!(
        error.contains("pump-model") && error.contains("kind.method"),
        "{error}"
    );
    let neither = MODEL_RULE.replace("method = \"ewma\", ", "");
    let error = parse_rules_toml(&neither).unwrap_err().to_string();
    assert!(
        error.contains("exactly one of method or model_id"),
        "{error}"
    );
    let too_few = MODEL_RULE.replace("lambda = 0.3 }", "lambda = 0.3 }, points = 1");
    let error = parse_rules_toml(&too_few).unwrap_err().to_string();
    assert!(error.contains("kind.points"), "{error}");
}
