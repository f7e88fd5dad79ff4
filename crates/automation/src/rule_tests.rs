use detectviz::{Severity, TransitionKind};

use super::*;
use crate::sample::sample_transition;

const RULE: &str = r#"
id = "restart-pump"
name = "Restart the coolant pump"
parameters = { line = "{{labels.line}}", reason = "{{alertname}} at {{value}}" }
concurrency_key = "{{labels.site}}/{{parameters.line}}"
cooldown_s = 600

[trigger]
matchers = [{ name = "alertname", op = "=~", value = "Spindle.*" }]
min_severity = "warning"
on = "firing"

[action]
type = "webhook"
name = "mes"
url = "http://127.0.0.1:9/hook"
"#;

fn rule() -> AutomationRule {
    toml::from_str(RULE).unwrap()
}

#[test]
fn a_rule_parses_with_defaults_and_validates() {
    let rule = rule();
    assert_eq!(rule.timeout_s, 60);
    assert_eq!(rule.max_attempts, 3);
    assert_eq!(rule.trigger.on, TriggerOn::Firing);
    assert_eq!(rule.action.name(), "mes");
    rule.validate().unwrap();
}

#[test]
fn unknown_fields_are_refused() {
    let error = toml::from_str::<AutomationRule>(&format!("{RULE}\nretries = 3\n"))
        .unwrap_err()
        .to_string();
    assert!(error.contains("retries"), "{error}");
}

#[test]
fn the_trigger_checks_kind_severity_and_labels() {
    let rule = rule();
    let mut transition = sample_transition();
    assert!(rule.trigger.matches(&transition));
    transition.kind = TransitionKind::Escalated;
    assert!(rule.trigger.matches(&transition));
    transition.kind = TransitionKind::Resolved;
    assert!(!rule.trigger.matches(&transition));
    transition.kind = TransitionKind::Firing;
    transition.severity = Severity::Info;
    assert!(!rule.trigger.matches(&transition));
    transition.severity = Severity::Critical;
    transition.labels.insert("alertname", "PressureLow");
    assert!(!rule.trigger.matches(&transition));

    let mut both = rule.trigger.clone();
    both.on = TriggerOn::Both;
    let mut resolved = sample_transition();
    resolved.kind = TransitionKind::Resolved;
    assert!(both.matches(&resolved));
    resolved.kind = TransitionKind::Pending;
    assert!(!both.matches(&resolved));
}

#[test]
fn parameters_and_the_concurrency_key_are_rendered() {
    let rule = rule();
    let transition = sample_transition();
    let parameters = rule.render_parameters(&transition).unwrap();
    assert_eq!(parameters["line"], "line-3");
    assert_eq!(parameters["reason"], "SpindleTemperatureHigh at 92.5");
    let key = rule
        .render_concurrency_key(&transition, &parameters)
        .unwrap();
    assert_eq!(key.as_deref(), Some("plant-a/line-3"));
}

#[test]
fn bad_templates_limits_and_duplicate_ids_are_refused() {
    let mut bad_template = rule();
    bad_template
        .parameters
        .insert("x".to_string(), "{{exec}}".to_string());
    assert!(bad_template.validate().is_err());
    let mut no_attempts = rule();
    no_attempts.max_attempts = 0;
    assert!(no_attempts.validate().is_err());
    let error = validate_rules(&[rule(), rule()]).unwrap_err().to_string();
    assert!(error.contains("used by another rule"), "{error}");
}

#[test]
fn a_cel_condition_narrows_the_trigger_and_a_bad_one_names_the_problem() {
    let with_condition = |condition: &str| {
        let text = RULE.replace(
            "on = \"firing\"",
            &format!("on = \"both\"\nwhen = '{condition}'"),
        );
        toml::from_str::<AutomationRule>(&text)
    };
    let rule = with_condition(
        r#"labels.site == "plant-a" && value > 90.0 && transition == "firing" && severity == "critical""#,
    )
    .unwrap();
    let mut transition = sample_transition();
    assert!(rule.trigger.matches(&transition));
    transition.value = Some(80.0);
    assert!(!rule.trigger.matches(&transition), "value below 90");
    transition.value = Some(95.0);
    transition.kind = TransitionKind::Resolved;
    assert!(!rule.trigger.matches(&transition), "resolved, not firing");

    let annotation = with_condition(r#"annotations.summary.contains("line-3")"#).unwrap();
    assert!(annotation.trigger.matches(&sample_transition()));

    // Reading a label the alert does not have is an evaluation error: no run.
    let missing = with_condition(r#"labels.rack == "r1""#).unwrap();
    assert!(!missing.trigger.matches(&sample_transition()));
    let guarded = with_condition(r#"!has(labels.rack) || labels.rack == "r1""#).unwrap();
    assert!(guarded.trigger.matches(&sample_transition()));

    let error = with_condition("labels.site ==").unwrap_err().to_string();
    assert!(error.contains("not valid CEL"), "{error}");
    assert!(error.contains("labels.site =="), "{error}");
}
