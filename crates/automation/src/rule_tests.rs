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
