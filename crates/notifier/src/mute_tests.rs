use alert::LabelMatcher;
use detectviz::{AlertPhase, Severity};

use super::*;
use crate::NotificationStatus;
use crate::sample::{SAMPLE_STARTS_AT_MS, sample_transitions};

const NOW_MS: i64 = SAMPLE_STARTS_AT_MS;

fn firing_line_3() -> AlertTransition {
    sample_transitions(NotificationStatus::Firing).remove(0)
}

#[test]
fn an_unmuted_transition_is_notified_and_notify_false_is_dropped() {
    let context = MuteContext::default();
    let mut transition = firing_line_3();
    assert_eq!(context.drop_reason(&transition, NOW_MS), None);
    transition.notify = false;
    assert_eq!(
        context.drop_reason(&transition, NOW_MS),
        Some(DropReason::NotNotifiable)
    );
}

#[test]
fn an_active_matching_silence_mutes() {
    let context = MuteContext {
        silences: vec![Silence {
            id: "s1".to_string(),
            matchers: vec![LabelMatcher::equal("line", "line-3")],
            starts_at_ms: NOW_MS - 1,
            ends_at_ms: NOW_MS + 1,
            created_by: "ops".to_string(),
            comment: String::new(),
        }],
        ..MuteContext::default()
    };
    assert_eq!(
        context.drop_reason(&firing_line_3(), NOW_MS),
        Some(DropReason::Muted(MuteReason::Silenced {
            silence_id: "s1".to_string()
        }))
    );
    assert_eq!(context.drop_reason(&firing_line_3(), NOW_MS + 1), None);
}

#[test]
fn a_maintenance_window_mutes() {
    let window: MaintenanceWindow = toml::from_str(
        "id = \"w1\"\ndays = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\", \"sat\", \"sun\"]\n\
         start = \"00:00\"\nend = \"00:00\"\n\
         matchers = [{ name = \"site\", op = \"=\", value = \"plant-a\" }]\n",
    )
    .unwrap();
    let context = MuteContext {
        maintenance_windows: vec![window],
        ..MuteContext::default()
    };
    assert!(matches!(
        context.drop_reason(&firing_line_3(), NOW_MS),
        Some(DropReason::Muted(MuteReason::Maintenance { .. }))
    ));
}

#[test]
fn a_firing_source_inhibits_its_targets() {
    let context = MuteContext {
        inhibit_rules: vec![InhibitRule {
            source_matchers: vec![LabelMatcher::equal("alertname", "LineDown")],
            target_matchers: vec![LabelMatcher::equal("alertname", "SpindleTemperatureHigh")],
            equal: vec!["line".to_string()],
        }],
        firing_alerts: vec![
            [("alertname", "LineDown"), ("line", "line-3")]
                .into_iter()
                .collect(),
        ],
        ..MuteContext::default()
    };
    assert!(matches!(
        context.drop_reason(&firing_line_3(), NOW_MS),
        Some(DropReason::Muted(MuteReason::Inhibited { .. }))
    ));
    let line_4 = sample_transitions(NotificationStatus::Firing).remove(1);
    assert_eq!(context.drop_reason(&line_4, NOW_MS), None);
}

#[test]
fn an_acknowledgement_holds_until_escalation_or_resolution() {
    let transition = firing_line_3();
    let context = MuteContext {
        acknowledgements: BTreeMap::from([(
            transition.fingerprint.clone(),
            Acknowledgement {
                fingerprint: transition.fingerprint.clone(),
                by: "mei".to_string(),
                at_ms: NOW_MS,
                comment: String::new(),
                severity_at_ack: Severity::Warning,
            },
        )]),
        ..MuteContext::default()
    };
    let mut at_warning = transition.clone();
    at_warning.severity = Severity::Warning;
    assert_eq!(
        context.drop_reason(&at_warning, NOW_MS),
        Some(DropReason::Acknowledged {
            by: "mei".to_string()
        })
    );
    assert_eq!(
        context.drop_reason(&transition, NOW_MS),
        None,
        "critical > warning"
    );
    let mut resolved = at_warning;
    resolved.to = AlertPhase::Resolved;
    assert_eq!(context.drop_reason(&resolved, NOW_MS), None);
}

#[test]
fn stored_silence_matchers_parse_in_both_shapes() {
    let api = serde_json::json!([{ "name": "line", "value": "line-[34]", "isRegex": true }]);
    let matchers = matchers_from_json(&api).unwrap();
    assert!(matchers[0].matches_value(Some("line-4")));
    let native = serde_json::json!([{ "name": "line", "op": "=", "value": "line-3" }]);
    assert_eq!(matchers_from_json(&native).unwrap()[0].value, "line-3");
    assert!(matchers_from_json(&serde_json::json!({"x": 1})).is_none());
}
