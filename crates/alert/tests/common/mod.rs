//! Builders shared by the alert engine's integration tests.

#![allow(dead_code)]

use alert::{EngineState, Rule, Transition, TransitionKind, evaluate, parse_rules_toml};
use detectviz::{Sample, SeriesKey};

/// Parses one rule written as TOML (`[[rules]]` header added here).
pub fn rule(body: &str) -> Rule {
    let text = format!("[[rules]]\n{body}");
    let mut rules = parse_rules_toml(&text).unwrap_or_else(|error| panic!("{error}\n{text}"));
    rules.remove(0)
}

pub fn series(host: &str) -> SeriesKey {
    SeriesKey {
        measurement: "plc".to_string(),
        tags: [("host", host), ("site", "tainan")].into_iter().collect(),
        field: "temp".to_string(),
    }
}

pub fn sample(host: &str, at_s: i64, value: f64) -> Sample {
    Sample {
        series: series(host),
        timestamp_ms: at_s * 1000,
        value,
    }
}

pub fn kinds(transitions: &[Transition]) -> Vec<TransitionKind> {
    transitions
        .iter()
        .map(|transition| transition.kind)
        .collect()
}

/// Feeds one value per second starting at `start_s` (one evaluate call per sample) and
/// returns every transition.
pub fn feed(
    rules: &[Rule],
    state: &mut EngineState,
    start_s: i64,
    values: &[f64],
) -> Vec<Transition> {
    let mut transitions = Vec::new();
    for (offset, value) in values.iter().enumerate() {
        let at_s = start_s + offset as i64;
        transitions.extend(evaluate(
            rules,
            &[sample("a", at_s, *value)],
            state,
            at_s * 1000,
        ));
    }
    transitions
}

pub const TEMPERATURE_SELECTOR: &str = r#"id = "temp-high"
name = "TemperatureHigh"
selector = { measurement = "plc", field = "temp" }
"#;
