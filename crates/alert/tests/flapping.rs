//! Flap detection: too many changes in the window mark the alert flapping, hold
//! notifications, and a stable window ends it.

mod common;

use alert::{AlertPhase, EngineState, TransitionKind, evaluate};
use common::{TEMPERATURE_SELECTOR, feed, kinds, rule, sample};

fn flapping_rule() -> alert::Rule {
    rule(&format!(
        "{TEMPERATURE_SELECTOR}flap = {{ max_changes = 3, window_s = 60 }}\n\
         [[rules.levels]]\nseverity = \"warning\"\ncondition = {{ op = \">\", value = 80 }}\n"
    ))
}

#[test]
fn too_many_changes_mark_flapping_once_and_hold_notifications_until_stable() {
    let rules = [flapping_rule()];
    let mut state = EngineState::new();
    let transitions = feed(
        &rules,
        &mut state,
        0,
        &[90.0, 70.0, 90.0, 70.0, 90.0, 70.0, 70.0],
    );
    use TransitionKind::{Firing, Flapping, Resolved};
    assert_eq!(
        kinds(&transitions),
        [
            Firing, Resolved, Firing, Resolved, Flapping, Firing, Resolved
        ]
    );
    let notified: Vec<bool> = transitions
        .iter()
        .map(|transition| transition.notify)
        .collect();
    assert_eq!(notified, [true, true, true, false, true, false, false]);
    assert!(
        transitions[4..]
            .iter()
            .all(|transition| transition.flapping)
    );
    assert!(state.alerts().all(|(_, alert)| alert.flapping));

    // Stable from t = 5 s: not yet at 64 s, ended at 65 s with the settled phase.
    assert!(evaluate(&rules, &[], &mut state, 64_000).is_empty());
    let ended = evaluate(&rules, &[], &mut state, 65_000);
    assert_eq!(kinds(&ended), [TransitionKind::FlappingEnded]);
    assert!(ended[0].notify);
    assert!(!ended[0].flapping);
    assert_eq!(ended[0].to, AlertPhase::Inactive);

    let again = evaluate(&rules, &[sample("a", 70, 95.0)], &mut state, 70_000);
    assert_eq!(kinds(&again), [TransitionKind::Firing]);
    assert!(again[0].notify);
}

#[test]
fn changes_spread_wider_than_the_window_do_not_flap() {
    let rules = [flapping_rule()];
    let mut state = EngineState::new();
    let mut transitions = Vec::new();
    for step in 0..8 {
        let value = if step % 2 == 0 { 90.0 } else { 70.0 };
        let at_s = step * 30;
        transitions.extend(evaluate(
            &rules,
            &[sample("a", at_s, value)],
            &mut state,
            at_s * 1000,
        ));
    }
    assert_eq!(transitions.len(), 8);
    assert!(
        transitions
            .iter()
            .all(|transition| transition.notify && !transition.flapping)
    );
}

#[test]
fn rules_without_a_flap_policy_never_flap() {
    let rules = [rule(&format!(
        "{TEMPERATURE_SELECTOR}[[rules.levels]]\nseverity = \"warning\"\ncondition = {{ op = \">\", value = 80 }}\n"
    ))];
    let mut state = EngineState::new();
    let transitions = feed(&rules, &mut state, 0, &[90.0, 70.0, 90.0, 70.0, 90.0, 70.0]);
    assert!(transitions.iter().all(|transition| transition.notify));
    assert!(!kinds(&transitions).contains(&TransitionKind::Flapping));
}
