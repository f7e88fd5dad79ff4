//! Rules stored through the API (`automation_rules`): reading one from JSON with the wrong
//! field named, the limits on what such a rule may do, and keeping secrets a client sent back
//! masked.
//!
//! A stored rule is an [`AutomationRule`] like one from the config file, checked further
//! because it comes over HTTP rather than from the host's files: its id is a URL path segment
//! (letters, digits, `.`, `_`, `-`); a `shell` action must take its script from the
//! `[automation.executor] stored_rules_scripts_dir` (none set: no shell actions in stored
//! rules) and may not set `run_as`; an `llm` action may not read `log_files`. Every problem is
//! a [`RuleProblem`] naming the field (`trigger.matchers[0]`, `trigger.when`, `action.type`,
//! `action.script`, `parameters.line`, ...).

use std::path::Path;

use serde_json::Value;

use crate::action::ActionConfig;
use crate::action::masked::MASK;
use crate::action::script_path::{canonical_scripts_dir, resolve_script};
use crate::error::ConfigError;
use crate::rule::{AutomationRule, RuleProblem};

/// The JSON paths of an action's secrets (besides each entry of `headers`).
const SECRET_FIELDS: [&str; 2] = ["url", "signature_secret"];

/// Reads a rule from JSON; the problem names the field serde stopped at.
pub fn parse_rule_document(text: &str) -> Result<AutomationRule, RuleProblem> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let rule: AutomationRule =
        serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
            let field = error.path().to_string();
            let field = if field == "." { String::new() } else { field };
            RuleProblem::new(field, error.into_inner().to_string())
        })?;
    deserializer
        .end()
        .map_err(|error| RuleProblem::new("", error.to_string()))?;
    Ok(rule)
}

/// Every check a stored rule must pass, including building its action (which compiles its
/// templates and resolves a script).
pub fn check_stored_rule(
    rule: &AutomationRule,
    stored_rules_scripts_dir: Option<&Path>,
) -> Result<(), RuleProblem> {
    let id_is_safe = rule
        .id
        .chars()
        .all(|character| character.is_ascii_alphanumeric() || "._-".contains(character));
    if rule.id.is_empty() || rule.id.len() > 190 || !id_is_safe {
        return Err(RuleProblem::new(
            "id",
            "use 1 to 190 letters, digits, `.`, `_` or `-`",
        ));
    }
    rule.check_fields()?;
    match &rule.action {
        ActionConfig::Shell(shell) => {
            let Some(allowed) = stored_rules_scripts_dir else {
                return Err(RuleProblem::new(
                    "action.type",
                    "shell actions need `stored_rules_scripts_dir` in [automation.executor]",
                ));
            };
            let allowed = canonical_scripts_dir(allowed)
                .map_err(|reason| RuleProblem::new("action.scripts_dir", reason))?;
            let asked = canonical_scripts_dir(&shell.scripts_dir)
                .map_err(|reason| RuleProblem::new("action.scripts_dir", reason))?;
            if asked != allowed {
                return Err(RuleProblem::new(
                    "action.scripts_dir",
                    format!("stored rules take scripts from {} only", allowed.display()),
                ));
            }
            resolve_script(&asked, &shell.script)
                .map_err(|reason| RuleProblem::new("action.script", reason))?;
            if shell.run_as.is_some() {
                return Err(RuleProblem::new(
                    "action.run_as",
                    "only rules in the config file may run scripts as another user",
                ));
            }
        }
        ActionConfig::Llm(llm) if !llm.log_files.is_empty() => {
            return Err(RuleProblem::new(
                "action.log_files",
                "only rules in the config file may read log files",
            ));
        }
        _ => {}
    }
    rule.action.build().map_err(action_problem)?;
    Ok(())
}

/// A build error of the action as a problem in `action.<field>` when its reason starts with
/// the field (`url: ...`, `args: ...`, ``header `X`: ...``), else in `action`.
fn action_problem(error: ConfigError) -> RuleProblem {
    let reason = match error {
        ConfigError::InvalidAction { reason, .. } => reason,
        other => other.to_string(),
    };
    if let Some((head, _)) = reason.split_once(": ") {
        if let Some(header) = head
            .strip_prefix("header `")
            .and_then(|rest| rest.strip_suffix('`'))
        {
            return RuleProblem::new(format!("action.headers.{header}"), reason.clone());
        }
        if !head.is_empty()
            && head
                .chars()
                .all(|character| character.is_ascii_lowercase() || character == '_')
        {
            return RuleProblem::new(format!("action.{head}"), reason.clone());
        }
    }
    RuleProblem::new("action", reason)
}

/// Puts the stored secret back where a client sent [`MASK`] (what it got when it read the
/// rule), so a rule can be edited without knowing its secrets. A mask with no stored secret
/// to stand for is a problem in that field.
pub fn restore_masked_secrets(
    document: &mut Value,
    stored: Option<&Value>,
) -> Result<(), RuleProblem> {
    let Some(action) = document.get_mut("action").and_then(Value::as_object_mut) else {
        return Ok(());
    };
    let stored_action = stored.and_then(|stored| stored.get("action"));
    let stored_value = |path: &[&str]| {
        path.iter()
            .try_fold(stored_action?, |value, key| value.get(*key))
            .filter(|value| value.is_string())
            .cloned()
    };
    for field in SECRET_FIELDS {
        if action.get(field).and_then(Value::as_str) == Some(MASK) {
            let secret = stored_value(&[field]).ok_or_else(|| {
                RuleProblem::new(
                    format!("action.{field}"),
                    "`***` stands for no stored secret",
                )
            })?;
            action.insert(field.to_string(), secret);
        }
    }
    if let Some(headers) = action.get_mut("headers").and_then(Value::as_object_mut) {
        for (name, value) in headers.iter_mut() {
            if value.as_str() == Some(MASK) {
                *value = stored_value(&["headers", name]).ok_or_else(|| {
                    RuleProblem::new(
                        format!("action.headers.{name}"),
                        "`***` stands for no stored secret",
                    )
                })?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "stored_rule_tests.rs"]
mod tests;
