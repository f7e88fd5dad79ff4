//! Lifecycle tests of evaluate(): comparators, for-duration, hysteresis, levels, batches.

mod common;

use alert::{AlertPhase, EngineState, TransitionKind, evaluate};
use common::{TEMPERATURE_SELECTOR, feed, kinds, rule, sample, series};
use detectviz::Severity;

fn single_level(condition: &str) -> alert::Rule {
    rule(&format!(
        "{TEMPERATURE_SELECTOR}[[rules.levels]]\nseverity = \"warning\"\ncondition = {condition}\n"
    ))
}

#[test]
fn each_comparator_fires_only_on_the_values_it_accepts() {
    let cases = [
        (r#"{ op = ">", value = 5 }"#, [false, false, true]),
        (r#"{ op = ">=", value = 5 }"#, [false, true, true]),
        (r#"{ op = "<", value = 5 }"#, [true, false, false]),
        (r#"{ op = "<=", value = 5 }"#, [true, true, false]),
        (r#"{ op = "==", value = 5 }"#, [false, true, false]),
        (r#"{ op = "!=", value = 5 }"#, [true, false, true]),
    ];
    for (condition, expected) in cases {
        let rules = [single_level(condition)];
        for (value, should_fire) in [4.0, 5.0, 6.0].into_iter().zip(expected) {
            let mut state = EngineState::new();
            let transitions = evaluate(&rules, &[sample("a", 1, value)], &mut state, 1000);
            let fired = kinds(&transitions) == [TransitionKind::Firing];
            assert_eq!(fired, should_fire, "{condition} with {value}");
        }
    }
}

#[test]
fn firing_transition_carries_labels_fingerprint_and_value() {
    let rules = [rule(&format!(
        "{TEMPERATURE_SELECTOR}labels = {{ team = \"plant\" }}\nannotations = {{ summary = \"hot\" }}\n\
         [[rules.levels]]\nseverity = \"critical\"\ncondition = {{ op = \">\", value = 90 }}\n"
    ))];
    let mut state = EngineState::new();
    let transitions = evaluate(&rules, &[sample("a", 10, 95.0)], &mut state, 10_000);
    assert_eq!(transitions.len(), 1);
    let firing = &transitions[0];
    assert_eq!(firing.from, AlertPhase::Inactive);
    assert_eq!(firing.to, AlertPhase::Firing);
    assert_eq!(firing.severity, Severity::Critical);
    assert_eq!(firing.value, Some(95.0));
    assert_eq!(firing.at_ms, 10_000);
    assert!(firing.notify);
    assert_eq!(firing.labels.get("alertname"), Some("TemperatureHigh"));
    assert_eq!(firing.labels.get("severity"), Some("critical"));
    assert_eq!(firing.labels.get("team"), Some("plant"));
    assert_eq!(firing.labels.get("host"), Some("a"));
    assert_eq!(
        firing.annotations.get("summary").map(String::as_str),
        Some("hot")
    );
    let expected =
        alert::fingerprint_hex(alert::rule_series_fingerprint("temp-high", &series("a")));
    assert_eq!(firing.fingerprint, expected);
    let json = serde_json::to_value(firing).unwrap();
    assert_eq!(json["kind"], "firing");
    assert_eq!(json["to"], "firing");
}

#[test]
fn for_duration_goes_pending_then_fires_on_a_tick() {
    let rules = [rule(&format!(
        "{TEMPERATURE_SELECTOR}[[rules.levels]]\nseverity = \"warning\"\n\
         condition = {{ op = \">\", value = 80 }}\nfor_s = 60\n"
    ))];
    let mut state = EngineState::new();
    let first = evaluate(&rules, &[sample("a", 0, 85.0)], &mut state, 0);
    assert_eq!(kinds(&first), [TransitionKind::Pending]);
    assert!(!first[0].notify, "pending is recorded, not notified");
    assert!(evaluate(&rules, &[], &mut state, 59_000).is_empty());
    let fired = evaluate(&rules, &[], &mut state, 60_000);
    assert_eq!(kinds(&fired), [TransitionKind::Firing]);
    assert_eq!(fired[0].from, AlertPhase::Pending);
    assert_eq!(fired[0].active_since_ms, Some(0));
}

#[test]
fn for_duration_is_cancelled_when_the_condition_stops_first() {
    let rules = [rule(&format!(
        "{TEMPERATURE_SELECTOR}[[rules.levels]]\nseverity = \"warning\"\n\
         condition = {{ op = \">\", value = 80 }}\nfor_s = 60\n"
    ))];
    let mut state = EngineState::new();
    evaluate(&rules, &[sample("a", 0, 85.0)], &mut state, 0);
    let cancelled = evaluate(&rules, &[sample("a", 30, 70.0)], &mut state, 30_000);
    assert_eq!(kinds(&cancelled), [TransitionKind::Cancelled]);
    assert!(!cancelled[0].notify);
    assert!(evaluate(&rules, &[], &mut state, 120_000).is_empty());
}

#[test]
fn a_sample_after_the_for_duration_fires_at_the_sample_time() {
    let rules = [rule(&format!(
        "{TEMPERATURE_SELECTOR}[[rules.levels]]\nseverity = \"warning\"\n\
         condition = {{ op = \">\", value = 80 }}\nfor_s = 10\n"
    ))];
    let mut state = EngineState::new();
    let batch = [
        sample("a", 0, 85.0),
        sample("a", 5, 86.0),
        sample("a", 10, 87.0),
    ];
    let transitions = evaluate(&rules, &batch, &mut state, 10_000);
    assert_eq!(
        kinds(&transitions),
        [TransitionKind::Pending, TransitionKind::Firing]
    );
    assert_eq!(transitions[1].at_ms, 10_000);
    assert_eq!(transitions[1].value, Some(87.0));
}

#[test]
fn hovering_between_fire_and_recovery_thresholds_does_not_flap() {
    let rules = [rule(&format!(
        "{TEMPERATURE_SELECTOR}[[rules.levels]]\nseverity = \"warning\"\n\
         condition = {{ op = \">\", value = 80 }}\nrecovery = {{ op = \"<\", value = 70 }}\n"
    ))];
    let mut state = EngineState::new();
    let transitions = feed(
        &rules,
        &mut state,
        0,
        &[85.0, 79.0, 81.0, 75.0, 80.5, 71.0, 69.0],
    );
    assert_eq!(
        kinds(&transitions),
        [TransitionKind::Firing, TransitionKind::Resolved]
    );
    assert_eq!(transitions[1].at_ms, 6_000);
    assert_eq!(transitions[1].value, Some(69.0));
}

#[test]
fn without_a_recovery_condition_the_alert_resolves_as_soon_as_the_condition_stops() {
    let rules = [single_level(r#"{ op = ">", value = 80 }"#)];
    let mut state = EngineState::new();
    let transitions = feed(&rules, &mut state, 0, &[85.0, 79.0]);
    assert_eq!(
        kinds(&transitions),
        [TransitionKind::Firing, TransitionKind::Resolved]
    );
}

fn three_level_rule() -> alert::Rule {
    rule(&format!(
        "{TEMPERATURE_SELECTOR}\
         [[rules.levels]]\nseverity = \"info\"\ncondition = {{ op = \">\", value = 60 }}\n\
         [[rules.levels]]\nseverity = \"warning\"\ncondition = {{ op = \">\", value = 80 }}\n\
         recovery = {{ op = \"<\", value = 75 }}\n\
         [[rules.levels]]\nseverity = \"critical\"\ncondition = {{ op = \">\", value = 95 }}\n"
    ))
}

#[test]
fn levels_escalate_and_de_escalate_with_hysteresis() {
    let rules = [three_level_rule()];
    let mut state = EngineState::new();
    let transitions = feed(
        &rules,
        &mut state,
        0,
        &[65.0, 85.0, 97.0, 90.0, 78.0, 74.0, 50.0],
    );
    use TransitionKind::{DeEscalated, Escalated, Firing, Resolved};
    assert_eq!(
        kinds(&transitions),
        [
            Firing,
            Escalated,
            Escalated,
            DeEscalated,
            DeEscalated,
            Resolved
        ]
    );
    let severities: Vec<(Severity, Option<Severity>)> = transitions
        .iter()
        .map(|transition| (transition.severity, transition.previous_severity))
        .collect();
    assert_eq!(
        severities,
        [
            (Severity::Info, None),
            (Severity::Warning, Some(Severity::Info)),
            (Severity::Critical, Some(Severity::Warning)),
            (Severity::Warning, Some(Severity::Critical)),
            (Severity::Info, Some(Severity::Warning)),
            (Severity::Info, Some(Severity::Info)),
        ]
    );
    // At 90 critical recovers (no recovery condition); 78 is above warning's recovery at 75,
    // so warning stays latched and the de-escalation to info waits for 74.
    assert_eq!(transitions[4].value, Some(74.0));
    assert_eq!(transitions[5].labels.get("severity"), Some("info"));
}

#[test]
fn resolved_turns_inactive_on_the_next_evaluation_and_can_fire_again() {
    let rules = [single_level(r#"{ op = ">", value = 80 }"#)];
    let mut state = EngineState::new();
    feed(&rules, &mut state, 0, &[85.0, 70.0]);
    assert_eq!(
        state.get("temp-high", &series("a")).unwrap().phase,
        AlertPhase::Resolved
    );
    assert!(evaluate(&rules, &[], &mut state, 5_000).is_empty());
    assert_eq!(
        state.get("temp-high", &series("a")).unwrap().phase,
        AlertPhase::Inactive
    );
    let again = evaluate(&rules, &[sample("a", 6, 90.0)], &mut state, 6_000);
    assert_eq!(kinds(&again), [TransitionKind::Firing]);
    assert_eq!(again[0].from, AlertPhase::Inactive);
}

#[test]
fn a_batch_is_taken_in_time_order_and_stale_samples_are_ignored() {
    let rules = [single_level(r#"{ op = ">", value = 80 }"#)];
    let mut state = EngineState::new();
    let batch = [
        sample("a", 3, 70.0),
        sample("a", 1, 90.0),
        sample("a", 2, 91.0),
    ];
    let transitions = evaluate(&rules, &batch, &mut state, 3_000);
    assert_eq!(
        kinds(&transitions),
        [TransitionKind::Firing, TransitionKind::Resolved]
    );
    assert_eq!(transitions[0].at_ms, 1_000);
    assert_eq!(transitions[1].at_ms, 3_000);
    let stale = evaluate(&rules, &[sample("a", 2, 99.0)], &mut state, 4_000);
    assert!(stale.is_empty(), "{stale:?}");
}

#[test]
fn matchers_select_series_and_each_series_has_its_own_alert() {
    let rules = [rule(
        r#"id = "temp-high"
name = "TemperatureHigh"
selector = { measurement = "plc", field = "temp", matchers = [{ name = "host", op = "=~", value = "a|b" }] }
[[rules.levels]]
severity = "warning"
condition = { op = ">", value = 80 }
"#,
    )];
    let mut state = EngineState::new();
    let batch = [
        sample("a", 1, 90.0),
        sample("b", 1, 90.0),
        sample("c", 1, 90.0),
    ];
    let transitions = evaluate(&rules, &batch, &mut state, 1_000);
    let hosts: Vec<&str> = transitions
        .iter()
        .map(|transition| transition.labels.get("host").unwrap())
        .collect();
    assert_eq!(hosts, ["a", "b"]);
    assert_ne!(transitions[0].fingerprint, transitions[1].fingerprint);
    let mut other_field = sample("a", 2, 99.0);
    other_field.series.field = "pressure".to_string();
    assert!(evaluate(&rules, &[other_field], &mut state, 2_000).is_empty());
}

#[test]
fn removing_a_rule_drops_its_alerts() {
    let rules = [single_level(r#"{ op = ">", value = 80 }"#)];
    let mut state = EngineState::new();
    evaluate(&rules, &[sample("a", 1, 90.0)], &mut state, 1_000);
    assert_eq!(state.len(), 1);
    evaluate(&[], &[], &mut state, 2_000);
    assert!(state.is_empty());
}

#[test]
fn range_rules_fire_outside_the_band() {
    let rules = [rule(&format!(
        "{TEMPERATURE_SELECTOR}kind = {{ type = \"range\" }}\n[[rules.levels]]\nseverity = \"warning\"\n\
         condition = {{ op = \"outside\", low = 10, high = 20 }}\n"
    ))];
    let mut state = EngineState::new();
    let transitions = feed(&rules, &mut state, 0, &[15.0, 25.0, 20.0, 5.0]);
    use TransitionKind::{Firing, Resolved};
    assert_eq!(kinds(&transitions), [Firing, Resolved, Firing]);
}

#[test]
fn a_cel_filter_narrows_the_series_a_rule_sees() {
    let rules = [rule(
        r#"id = "temp-high"
name = "TemperatureHigh"
selector = { measurement = "plc", field = "temp", filter = "tags.host in ['a', 'c'] && tags.site == 'tainan'" }
[[rules.levels]]
severity = "warning"
condition = { op = ">", value = 80 }
"#,
    )];
    let mut state = EngineState::new();
    let batch = [
        sample("a", 1, 90.0),
        sample("b", 1, 90.0),
        sample("c", 1, 90.0),
    ];
    let transitions = evaluate(&rules, &batch, &mut state, 1_000);
    let hosts: Vec<&str> = transitions
        .iter()
        .map(|transition| transition.labels.get("host").unwrap())
        .collect();
    assert_eq!(hosts, ["a", "c"]);
    let later = evaluate(&rules, &[sample("b", 2, 95.0)], &mut state, 2_000);
    assert!(later.is_empty(), "the cached verdict still excludes b");
}

#[test]
fn a_higher_level_with_its_own_for_duration_escalates_on_a_later_tick() {
    let rules = [rule(&format!(
        "{TEMPERATURE_SELECTOR}\
         [[rules.levels]]\nseverity = \"warning\"\ncondition = {{ op = \">\", value = 80 }}\n\
         [[rules.levels]]\nseverity = \"critical\"\ncondition = {{ op = \">\", value = 95 }}\nfor_s = 30\n"
    ))];
    let mut state = EngineState::new();
    let first = evaluate(&rules, &[sample("a", 0, 97.0)], &mut state, 0);
    assert_eq!(kinds(&first), [TransitionKind::Firing]);
    assert_eq!(first[0].severity, Severity::Warning);
    assert!(evaluate(&rules, &[], &mut state, 29_000).is_empty());
    let escalated = evaluate(&rules, &[], &mut state, 30_000);
    assert_eq!(kinds(&escalated), [TransitionKind::Escalated]);
    assert_eq!(escalated[0].severity, Severity::Critical);
    assert_eq!(escalated[0].previous_severity, Some(Severity::Warning));
}

#[test]
fn evaluation_is_deterministic_for_the_same_inputs() {
    let rules = [three_level_rule()];
    let batch: Vec<_> = (0..40)
        .map(|step| {
            sample(
                ["a", "b", "c"][step % 3],
                step as i64 / 3,
                (step * 37 % 100) as f64,
            )
        })
        .collect();
    let run = || {
        let mut state = EngineState::new();
        let mut all = evaluate(&rules, &batch, &mut state, 20_000);
        all.extend(evaluate(&rules, &[], &mut state, 30_000));
        all
    };
    let first = run();
    assert!(
        first.len() > 5,
        "the batch should produce transitions: {first:?}"
    );
    assert_eq!(first, run());
}

#[test]
fn editing_a_rules_levels_keeps_the_alert_consistent() {
    let mut rules = vec![three_level_rule()];
    let mut state = EngineState::new();
    evaluate(&rules, &[sample("a", 0, 97.0)], &mut state, 0);
    rules[0].levels.truncate(1);
    let transitions = evaluate(&rules, &[sample("a", 1, 97.0)], &mut state, 1_000);
    assert_eq!(kinds(&transitions), [TransitionKind::DeEscalated]);
    assert_eq!(transitions[0].severity, Severity::Info);
}

#[test]
fn a_snapshot_restores_phases_for_durations_and_statistics() {
    let pending_rule = rule(&format!(
        "{TEMPERATURE_SELECTOR}[[rules.levels]]\nseverity = \"warning\"\n\
         condition = {{ op = \">\", value = 80 }}\nfor_s = 60\n"
    ));
    let z_rule = rule(
        r#"id = "temp-z"
name = "TemperatureUnusual"
selector = { measurement = "plc", field = "temp" }
kind = { type = "z_score", window = 3 }
[[rules.levels]]
severity = "info"
condition = { op = ">=", value = 3 }
"#,
    );
    let rules = [pending_rule, z_rule];
    let mut state = EngineState::new();
    feed(&rules, &mut state, 0, &[50.0, 51.0, 49.0]);
    let pending = evaluate(&rules, &[sample("a", 3, 90.0)], &mut state, 3_000);
    assert_eq!(
        kinds(&pending),
        [TransitionKind::Pending, TransitionKind::Firing]
    );

    let json = serde_json::to_string(&state.to_snapshot()).unwrap();
    let mut restored = EngineState::from_snapshot(serde_json::from_str(&json).unwrap());
    assert_eq!(restored.len(), 2);
    // The z-score window survived (a fresh one would say nothing yet): 91 against
    // [51, 49, 90] is no longer unusual. The pending alert does not start over.
    let after = evaluate(&rules, &[sample("a", 4, 91.0)], &mut restored, 4_000);
    assert_eq!(kinds(&after), [TransitionKind::Resolved]);
    assert_eq!(after[0].rule_id, "temp-z");
    let fired = evaluate(&rules, &[], &mut restored, 63_000);
    assert_eq!(kinds(&fired), [TransitionKind::Firing]);
    assert_eq!(fired[0].rule_id, "temp-high");
}
