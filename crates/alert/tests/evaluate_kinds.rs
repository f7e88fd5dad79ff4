//! Rule kinds through evaluate(): absent, rate of change, z-score, EWMA, SPC (WE 1 to 4).

mod common;

use alert::{EngineState, Rule, TransitionKind, evaluate};
use common::{TEMPERATURE_SELECTOR, feed, kinds, rule, sample};
use detectviz::Severity;

fn with_kind(kind: &str, levels: &str) -> Rule {
    rule(&format!("{TEMPERATURE_SELECTOR}kind = {kind}\n{levels}"))
}

const AT_LEAST_ONE: &str =
    "[[rules.levels]]\nseverity = \"warning\"\ncondition = { op = \">=\", value = 1 }\n";

/// Index of the sample (in feed order) at which the first Firing happened, if any.
fn firing_index(rules: &[Rule], values: &[f64]) -> Option<usize> {
    let mut state = EngineState::new();
    let transitions = feed(rules, &mut state, 0, values);
    transitions
        .iter()
        .find(|transition| transition.kind == TransitionKind::Firing)
        .map(|transition| (transition.at_ms / 1000) as usize)
}

#[test]
fn absent_fires_on_a_tick_escalates_with_silence_and_resolves_on_data() {
    let rules = [with_kind(
        "{ type = \"absent\", for_s = 60 }",
        "[[rules.levels]]\nseverity = \"warning\"\n\
         [[rules.levels]]\nseverity = \"critical\"\ncondition = { op = \">=\", value = 300 }\n",
    )];
    let mut state = EngineState::new();
    assert!(evaluate(&rules, &[sample("a", 0, 1.0)], &mut state, 0).is_empty());
    assert!(evaluate(&rules, &[], &mut state, 59_000).is_empty());
    let fired = evaluate(&rules, &[], &mut state, 60_000);
    assert_eq!(kinds(&fired), [TransitionKind::Firing]);
    assert_eq!(fired[0].severity, Severity::Warning);
    assert_eq!(fired[0].value, Some(60.0));
    let escalated = evaluate(&rules, &[], &mut state, 300_000);
    assert_eq!(kinds(&escalated), [TransitionKind::Escalated]);
    assert_eq!(escalated[0].severity, Severity::Critical);
    let resolved = evaluate(&rules, &[sample("a", 301, 1.0)], &mut state, 301_000);
    assert_eq!(kinds(&resolved), [TransitionKind::Resolved]);
}

#[test]
fn absent_ignores_series_never_seen() {
    let rules = [with_kind(
        "{ type = \"absent\", for_s = 60 }",
        "[[rules.levels]]\nseverity = \"warning\"\n",
    )];
    let mut state = EngineState::new();
    assert!(evaluate(&rules, &[], &mut state, 3_600_000).is_empty());
    assert!(state.is_empty());
}

#[test]
fn rate_of_change_compares_change_per_second_over_the_window() {
    let rising = with_kind(
        "{ type = \"rate_of_change\", window_s = 10 }",
        "[[rules.levels]]\nseverity = \"warning\"\ncondition = { op = \">\", value = 1 }\n",
    );
    let rules = [rising];
    let mut state = EngineState::new();
    let batch = [
        sample("a", 0, 10.0),
        sample("a", 5, 12.0),
        sample("a", 10, 30.0),
    ];
    let transitions = evaluate(&rules, &batch, &mut state, 10_000);
    assert_eq!(kinds(&transitions), [TransitionKind::Firing]);
    assert_eq!(transitions[0].value, Some(2.0));
    let flat = evaluate(&rules, &[sample("a", 20, 31.0)], &mut state, 20_000);
    assert_eq!(kinds(&flat), [TransitionKind::Resolved]);
    assert_eq!(flat[0].value, Some(0.1));
}

#[test]
fn rate_of_change_catches_falls_with_a_below_condition() {
    let rules = [with_kind(
        "{ type = \"rate_of_change\", window_s = 60 }",
        "[[rules.levels]]\nseverity = \"critical\"\ncondition = { op = \"<\", value = -0.5 }\n",
    )];
    let mut state = EngineState::new();
    let batch = [sample("a", 0, 100.0), sample("a", 10, 90.0)];
    let transitions = evaluate(&rules, &batch, &mut state, 10_000);
    assert_eq!(kinds(&transitions), [TransitionKind::Firing]);
    assert_eq!(transitions[0].value, Some(-1.0));
}

const BASELINE: [f64; 5] = [10.0, 11.0, 9.0, 10.0, 11.0];

fn z_score_rule() -> Rule {
    with_kind(
        "{ type = \"z_score\", window = 5 }",
        "[[rules.levels]]\nseverity = \"warning\"\ncondition = { op = \">=\", value = 2 }\n",
    )
}

#[test]
fn z_score_fires_on_either_side_beyond_the_threshold() {
    let rules = [z_score_rule()];
    for (value, should_fire) in [(12.0, true), (8.4, true), (11.0, false)] {
        let mut state = EngineState::new();
        feed(&rules, &mut state, 0, &BASELINE);
        let transitions = feed(&rules, &mut state, 5, &[value]);
        assert_eq!(!transitions.is_empty(), should_fire, "value {value}");
        if should_fire {
            // mean 10.2, sample sigma sqrt(0.7): |z| = 1.8 / 0.8367 = 2.151
            let z = transitions[0].value.unwrap();
            assert!((z - 2.1513).abs() < 1e-3, "z {z}");
        }
    }
}

#[test]
fn z_score_says_nothing_before_the_window_is_full() {
    let rules = [z_score_rule()];
    assert_eq!(firing_index(&rules, &[10.0, 11.0, 9.0, 10.0, 100.0]), None);
    assert_eq!(
        firing_index(&rules, &[10.0, 11.0, 9.0, 10.0, 11.0, 100.0]),
        Some(5)
    );
}

#[test]
fn z_score_of_a_flat_baseline_still_catches_a_step() {
    let rules = [z_score_rule()];
    assert_eq!(
        firing_index(&rules, &[5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.1]),
        Some(6)
    );
}

#[test]
fn ewma_ignores_a_single_spike_but_catches_a_sustained_shift() {
    let rules = [with_kind(
        "{ type = \"ewma\", lambda = 0.2, warmup = 10 }",
        "[[rules.levels]]\nseverity = \"warning\"\ncondition = { op = \">\", value = 3 }\n",
    )];
    // Warm-up: mean 10, sample sigma 1.054; EWMA sigma 1.054 * sqrt(0.2 / 1.8) = 0.351.
    let mut values = vec![9.0, 11.0, 9.0, 11.0, 9.0, 11.0, 9.0, 11.0, 9.0, 11.0];
    values.push(12.0); // one spike: EWMA moves 0.4, 1.14 sigma: no alert
    values.extend([10.0; 30]);
    let shift_start = values.len();
    values.extend([12.0; 6]); // EWMA deviation 2 * (1 - 0.8^n) passes 1.054 at n = 4
    assert_eq!(firing_index(&rules, &values), Some(shift_start + 3));
}

/// 27 points alternating 9, 11 (starting and ending with 9): mean 10, sigma 1.026.
fn spc_baseline() -> Vec<f64> {
    (0..27)
        .map(|index| if index % 2 == 0 { 9.0 } else { 11.0 })
        .collect()
}

fn spc_rule(we_rules: &str) -> Rule {
    with_kind(
        &format!("{{ type = \"spc\", window = 20, rules = [{we_rules}] }}"),
        AT_LEAST_ONE,
    )
}

fn spc_firing_index(we_rules: &str, tail: &[f64]) -> Option<usize> {
    let mut values = spc_baseline();
    values.extend_from_slice(tail);
    firing_index(&[spc_rule(we_rules)], &values).map(|index| index - 27)
}

#[test]
fn western_electric_rule_1_one_point_beyond_three_sigma() {
    assert_eq!(spc_firing_index("\"we1\"", &[13.0, 14.0]), Some(1));
    assert_eq!(spc_firing_index("\"we1\"", &[6.0]), Some(0));
    assert_eq!(spc_firing_index("\"we1\"", &[12.5, 12.5, 12.5]), None);
}

#[test]
fn western_electric_rule_2_two_of_three_beyond_two_sigma_same_side() {
    assert_eq!(spc_firing_index("\"we2\"", &[12.3, 10.0, 12.3]), Some(2));
    assert_eq!(spc_firing_index("\"we2\"", &[12.3, 7.7, 10.0]), None);
}

#[test]
fn western_electric_rule_3_four_of_five_beyond_one_sigma_same_side() {
    assert_eq!(
        spc_firing_index("\"we3\"", &[11.5, 11.5, 10.0, 11.5, 11.5]),
        Some(4)
    );
    assert_eq!(
        spc_firing_index("\"we3\"", &[11.5, 11.5, 8.5, 8.5, 11.5]),
        None
    );
}

#[test]
fn western_electric_rule_4_eight_in_a_row_on_one_side() {
    assert_eq!(spc_firing_index("\"we4\"", &[10.5; 8]), Some(7));
    let mut broken = vec![10.5; 7];
    broken.push(9.5);
    assert_eq!(spc_firing_index("\"we4\"", &broken), None);
}

#[test]
fn spc_value_counts_the_rules_violated_so_levels_can_escalate() {
    let rules = [with_kind(
        "{ type = \"spc\", window = 20, rules = [\"we1\", \"we2\", \"we3\", \"we4\"] }",
        "[[rules.levels]]\nseverity = \"warning\"\ncondition = { op = \">=\", value = 1 }\n\
         [[rules.levels]]\nseverity = \"critical\"\ncondition = { op = \">=\", value = 3 }\n",
    )];
    let mut state = EngineState::new();
    feed(&rules, &mut state, 0, &spc_baseline());
    let first = feed(&rules, &mut state, 27, &[14.0]);
    assert_eq!(kinds(&first), [TransitionKind::Firing]);
    assert_eq!(first[0].value, Some(1.0));
    // 14, 14: WE1 and WE2; 14 x4 after a 9 and 11: WE3 as well → critical.
    let more = feed(&rules, &mut state, 28, &[14.0, 14.0, 14.0]);
    assert_eq!(kinds(&more), [TransitionKind::Escalated]);
    assert_eq!(more[0].value, Some(3.0));
    assert_eq!(more[0].severity, Severity::Critical);
}
