//! Stored rules: JSON errors name the field, the limits on shell and llm actions hold, secrets
//! are masked when shown and kept when sent back masked.

use std::os::unix::fs::PermissionsExt;

use serde_json::{Value, json};

use super::*;

fn webhook_rule() -> Value {
    json!({
        "id": "mes-order",
        "name": "Open a work order",
        "trigger": {
            "matchers": [{ "name": "alertname", "op": "=", "value": "PumpDown" }],
            "min_severity": "warning",
            "when": "value > 80.0",
        },
        "action": {
            "type": "webhook", "name": "mes",
            "url": "https://mes.example/orders?token=abc",
            "headers": { "Authorization": "Bearer s3cret" },
            "signature_secret": "hmac-key",
        },
        "parameters": { "line": "{{labels.line}}" },
    })
}

fn problem_of(document: Value) -> RuleProblem {
    let parsed = parse_rule_document(&document.to_string());
    match parsed {
        Err(problem) => problem,
        Ok(rule) => check_stored_rule(&rule, None).unwrap_err(),
    }
}

#[test]
fn a_good_rule_parses_checks_and_shows_its_secrets_masked() {
    let rule = parse_rule_document(&webhook_rule().to_string()).unwrap();
    check_stored_rule(&rule, None).unwrap();
    let shown = serde_json::to_value(&rule).unwrap();
    assert_eq!(shown["action"]["url"], MASK);
    assert_eq!(shown["action"]["headers"]["Authorization"], MASK);
    assert_eq!(shown["action"]["signature_secret"], MASK);
    assert_eq!(shown["trigger"]["when"], "value > 80.0");
    assert_eq!(shown["trigger"]["matchers"][0]["value"], "PumpDown");
    assert!(!shown.to_string().contains("s3cret"), "{shown}");
    assert!(!shown.to_string().contains("token=abc"), "{shown}");
}

#[test]
fn each_kind_of_mistake_names_its_field() {
    let mut bad_matcher = webhook_rule();
    bad_matcher["trigger"]["matchers"][0]["op"] = json!("~~");
    let problem = problem_of(bad_matcher);
    assert_eq!(problem.field, "trigger.matchers[0].op", "{problem}");

    let mut bad_regex = webhook_rule();
    bad_regex["trigger"]["matchers"][0] = json!({"name": "line", "op": "=~", "value": "(("});
    let problem = problem_of(bad_regex);
    assert!(
        problem.field.starts_with("trigger.matchers[0]"),
        "{problem}"
    );

    let mut unknown_action = webhook_rule();
    unknown_action["action"]["type"] = json!("ansible");
    let problem = problem_of(unknown_action);
    assert!(problem.field.starts_with("action"), "{problem}");
    assert!(problem.reason.contains("ansible"), "{problem}");

    let mut bad_cel = webhook_rule();
    bad_cel["trigger"]["when"] = json!("labels.site == ");
    let problem = problem_of(bad_cel);
    assert_eq!(problem.field, "trigger.when", "{problem}");
    assert!(problem.reason.contains("not valid CEL"), "{problem}");

    let mut bad_parameter = webhook_rule();
    bad_parameter["parameters"]["line"] = json!("{{labels.line");
    let problem = problem_of(bad_parameter);
    assert_eq!(problem.field, "parameters.line", "{problem}");

    let mut bad_url = webhook_rule();
    bad_url["action"]["url"] = json!("https://mes.example/{{labels.line");
    assert_eq!(problem_of(bad_url).field, "action.url");

    let mut bad_body = webhook_rule();
    bad_body["action"]["body"] = json!("{\"x\": \"{{nope}}\"}");
    assert_eq!(problem_of(bad_body).field, "action.body");

    let mut unknown_field = webhook_rule();
    unknown_field["cooldown"] = json!(5);
    let problem = problem_of(unknown_field);
    assert!(problem.reason.contains("cooldown"), "{problem}");

    let mut bad_id = webhook_rule();
    bad_id["id"] = json!("../etc");
    assert_eq!(problem_of(bad_id).field, "id");

    let mut no_attempts = webhook_rule();
    no_attempts["max_attempts"] = json!(0);
    assert_eq!(problem_of(no_attempts).field, "max_attempts");
}

#[test]
fn shell_actions_are_held_to_the_stored_rules_scripts_directory() {
    let allowed = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    for directory in [allowed.path(), elsewhere.path()] {
        let script = directory.join("restart.sh");
        std::fs::write(&script, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let shell = |scripts_dir: &std::path::Path, script: &str, extra: Value| {
        let mut action = json!({
            "type": "shell", "name": "restart",
            "scripts_dir": scripts_dir, "script": script,
        });
        action
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let document = json!({
            "id": "restart", "name": "Restart",
            "trigger": {}, "action": action,
        });
        parse_rule_document(&document.to_string()).unwrap()
    };
    let good = shell(allowed.path(), "restart.sh", json!({}));
    check_stored_rule(&good, Some(allowed.path())).unwrap();

    let no_directory = check_stored_rule(&good, None).unwrap_err();
    assert_eq!(no_directory.field, "action.type");
    let other_directory = shell(elsewhere.path(), "restart.sh", json!({}));
    let problem = check_stored_rule(&other_directory, Some(allowed.path())).unwrap_err();
    assert_eq!(problem.field, "action.scripts_dir", "{problem}");
    let escaping = shell(allowed.path(), "../etc/passwd", json!({}));
    let problem = check_stored_rule(&escaping, Some(allowed.path())).unwrap_err();
    assert_eq!(problem.field, "action.script", "{problem}");
    let missing = shell(allowed.path(), "missing.sh", json!({}));
    let problem = check_stored_rule(&missing, Some(allowed.path())).unwrap_err();
    assert_eq!(problem.field, "action.script", "{problem}");
    let as_root = shell(
        allowed.path(),
        "restart.sh",
        json!({"run_as": {"uid": 0, "gid": 0}}),
    );
    let problem = check_stored_rule(&as_root, Some(allowed.path())).unwrap_err();
    assert_eq!(problem.field, "action.run_as", "{problem}");
    let bad_argument = shell(allowed.path(), "restart.sh", json!({"args": ["{{x"]}));
    let problem = check_stored_rule(&bad_argument, Some(allowed.path())).unwrap_err();
    assert_eq!(problem.field, "action.args", "{problem}");
}

#[test]
fn llm_actions_of_stored_rules_read_no_log_files() {
    let document = json!({
        "id": "explain", "name": "Explain", "trigger": {},
        "action": {"type": "llm", "name": "explain", "log_files": ["/etc/shadow"]},
    });
    let rule = parse_rule_document(&document.to_string()).unwrap();
    let problem = check_stored_rule(&rule, None).unwrap_err();
    assert_eq!(problem.field, "action.log_files");
}

#[test]
fn masked_secrets_sent_back_keep_the_stored_ones() {
    let stored = webhook_rule();
    let rule = parse_rule_document(&stored.to_string()).unwrap();
    let mut edited = serde_json::to_value(&rule).unwrap();
    edited["name"] = json!("Open a work order, renamed");
    edited["action"]["headers"]["X-Site"] = json!("plant-a");
    restore_masked_secrets(&mut edited, Some(&stored)).unwrap();
    assert_eq!(edited["action"]["url"], stored["action"]["url"]);
    assert_eq!(edited["action"]["signature_secret"], "hmac-key");
    assert_eq!(
        edited["action"]["headers"]["Authorization"],
        "Bearer s3cret"
    );
    assert_eq!(edited["action"]["headers"]["X-Site"], "plant-a");
    parse_rule_document(&edited.to_string()).unwrap();

    let mut new_rule = webhook_rule();
    new_rule["action"]["signature_secret"] = json!(MASK);
    let problem = restore_masked_secrets(&mut new_rule, None).unwrap_err();
    assert_eq!(problem.field, "action.signature_secret");
}
