//! Rule loading from TOML and JSON, and validation errors that name the rule and field.

use alert::{Condition, RuleKind, WesternElectricRule, parse_rule_json, parse_rules_toml};
use detectviz::Severity;

const RULES_TOML: &str = r#"
[[rules]]
id = "cpu-high"
name = "CpuHigh"
selector = { measurement = "cpu", field = "usage_user", matchers = [{ name = "host", op = "=~", value = "web-.*" }] }
labels = { team = "it" }
annotations = { summary = "CPU busy" }
flap = { max_changes = 4, window_s = 600 }

[[rules.levels]]
severity = "warning"
condition = { op = ">", value = 80 }
recovery = { op = "<", value = 70 }
for_s = 60

[[rules.levels]]
severity = "critical"
condition = { op = ">=", value = 95.5 }

[[rules]]
id = "line-speed-spc"
name = "LineSpeedUnstable"
selector = { measurement = "modbus", field = "speed" }
kind = { type = "spc", window = 30, rules = ["we1", "we4"] }

[[rules.levels]]
severity = "info"
condition = { op = ">=", value = 1 }
"#;

#[test]
fn a_toml_file_loads_every_rule_and_field() {
    let rules = parse_rules_toml(RULES_TOML).unwrap();
    assert_eq!(rules.len(), 2);
    let cpu = &rules[0];
    assert_eq!(cpu.kind, RuleKind::Threshold);
    assert_eq!(cpu.selector.matchers[0].to_string(), r#"host=~"web-.*""#);
    assert_eq!(cpu.levels[0].for_s, 60);
    assert_eq!(cpu.levels[1].severity, Severity::Critical);
    assert!(
        matches!(cpu.levels[1].condition, Some(Condition::AtLeast(bound)) if bound.value == 95.5)
    );
    assert_eq!(cpu.flap.unwrap().max_changes, 4);
    let RuleKind::Spc(spc) = &rules[1].kind else {
        panic!("expected spc, got {:?}", rules[1].kind);
    };
    assert_eq!(
        spc.rules,
        [
            WesternElectricRule::OneBeyondThreeSigma,
            WesternElectricRule::EightOnOneSide
        ]
    );
}

#[test]
fn rules_round_trip_through_json() {
    let rules = parse_rules_toml(RULES_TOML).unwrap();
    for rule in rules {
        let json = serde_json::to_string(&rule).unwrap();
        assert_eq!(parse_rule_json(&json).unwrap(), rule, "{json}");
    }
}

fn toml_error(text: &str) -> String {
    parse_rules_toml(text).unwrap_err().to_string()
}

const MINIMAL: &str =
    "[[rules]]\nid = \"r1\"\nname = \"R1\"\nselector = { measurement = \"m\", field = \"f\" }\n";

#[test]
fn unknown_keys_are_rejected_at_every_depth() {
    let top = toml_error(&format!(
        "{MINIMAL}colour = \"red\"\n[[rules.levels]]\nseverity = \"info\"\ncondition = {{ op = \">\", value = 1 }}\n"
    ));
    assert!(top.contains("colour"), "{top}");
    let level = toml_error(&format!(
        "{MINIMAL}[[rules.levels]]\nseverity = \"info\"\nwhen = 3\ncondition = {{ op = \">\", value = 1 }}\n"
    ));
    assert!(level.contains("when"), "{level}");
    let kind = toml_error(&format!(
        "{MINIMAL}kind = {{ type = \"z_score\", window = 5, sigma = 3 }}\n[[rules.levels]]\nseverity = \"info\"\ncondition = {{ op = \">\", value = 1 }}\n"
    ));
    assert!(kind.contains("sigma"), "{kind}");
}

#[test]
fn validation_names_the_rule_and_the_field() {
    let cases = [
        ("", "levels"),
        (
            "[[rules.levels]]\nseverity = \"info\"\n",
            "levels[0].condition",
        ),
        (
            "[[rules.levels]]\nseverity = \"info\"\ncondition = { op = \">\", value = 1 }\n\
             [[rules.levels]]\nseverity = \"info\"\ncondition = { op = \">\", value = 2 }\n",
            "levels[1].severity",
        ),
        (
            "kind = { type = \"ewma\", lambda = 1.5 }\n[[rules.levels]]\nseverity = \"info\"\ncondition = { op = \">\", value = 3 }\n",
            "kind.lambda",
        ),
        (
            "kind = { type = \"range\" }\n[[rules.levels]]\nseverity = \"info\"\ncondition = { op = \">\", value = 3 }\n",
            "levels[0].condition",
        ),
        (
            "flap = { max_changes = 0, window_s = 60 }\n[[rules.levels]]\nseverity = \"info\"\ncondition = { op = \">\", value = 3 }\n",
            "flap.max_changes",
        ),
    ];
    for (body, field) in cases {
        let message = toml_error(&format!("{MINIMAL}{body}"));
        assert!(message.contains("rule `r1`"), "{message}");
        assert!(
            message.contains(&format!("field `{field}`")),
            "{field}: {message}"
        );
    }
}

#[test]
fn duplicate_rule_ids_are_rejected() {
    let level = "[[rules.levels]]\nseverity = \"info\"\ncondition = { op = \">\", value = 1 }\n";
    let message = toml_error(&format!("{MINIMAL}{level}{MINIMAL}{level}"));
    assert!(
        message.contains("field `id` is used by another rule"),
        "{message}"
    );
}

#[test]
fn a_cel_filter_loads_and_a_broken_one_is_rejected_naming_the_expression() {
    let json = r#"{"id":"r1","name":"R1","selector":{"measurement":"m","field":"f","filter":"tags.host.startsWith('web')"},
        "levels":[{"severity":"info","condition":{"op":">","value":1}}]}"#;
    let rule = parse_rule_json(json).unwrap();
    assert_eq!(
        rule.selector.filter.as_ref().map(|filter| filter.source()),
        Some("tags.host.startsWith('web')")
    );
    let broken = json.replace("startsWith('web')", "startsWith(");
    let message = parse_rule_json(&broken).unwrap_err().to_string();
    assert!(message.contains("cel filter"), "{message}");
    assert!(message.contains("startsWith("), "{message}");
}

#[test]
fn a_bad_regex_matcher_is_a_parse_error_naming_the_label() {
    let text = r#"
[[rules]]
id = "r1"
name = "R1"
selector = { measurement = "m", field = "f", matchers = [{ name = "host", op = "=~", value = "(" }] }
[[rules.levels]]
severity = "info"
condition = { op = ">", value = 1 }
"#;
    let message = toml_error(text);
    assert!(message.contains("host"), "{message}");
    assert!(
        message.contains("line"),
        "toml errors carry the line: {message}"
    );
}

#[test]
fn the_sample_rule_file_loads_with_one_rule_of_each_kind() {
    let rules = parse_rules_toml(alert::rule::SAMPLE_RULES_TOML).unwrap();
    let kinds: Vec<&str> = rules
        .iter()
        .map(|rule| match rule.kind {
            RuleKind::Threshold => "threshold",
            RuleKind::Range => "range",
            RuleKind::Absent(_) => "absent",
            RuleKind::RateOfChange(_) => "rate_of_change",
            RuleKind::ZScore(_) => "z_score",
            RuleKind::Ewma(_) => "ewma",
            RuleKind::Spc(_) => "spc",
            RuleKind::Model(_) => "model",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "threshold",
            "range",
            "absent",
            "rate_of_change",
            "z_score",
            "ewma",
            "spc",
            "model"
        ]
    );
}
