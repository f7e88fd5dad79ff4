//! Automation rules: which alert transitions trigger which action, with what parameters, and
//! the limits of the runs (concurrency key, cooldown, timeout, attempts).
//!
//! ```toml
//! [[automation.rules]]
//! id = "restart-pump"
//! name = "Restart the coolant pump"
//! trigger = { matchers = [{ name = "alertname", op = "=", value = "SpindleTemperatureHigh" }],
//!             min_severity = "critical", on = "firing" }
//! action = { type = "shell", name = "restart", scripts_dir = "/etc/detectviz/scripts",
//!            script = "restart.sh" }
//! parameters = { line = "{{labels.line}}" }
//! concurrency_key = "{{labels.line}}"
//! cooldown_s = 600
//! ```

use std::collections::{BTreeMap, HashSet};

use alert::LabelMatcher;
use detectviz::{AlertTransition, Severity, TransitionKind};
use serde::{Deserialize, Serialize};

use crate::action::ActionConfig;
use crate::error::ConfigError;
use crate::notify_request::NotifyOnRun;
use crate::template::{Escape, TemplateContext, check_template, render};
use crate::trigger_expression::TriggerExpression;

/// One automation rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutomationRule {
    pub id: String,
    pub name: String,
    pub trigger: Trigger,
    pub action: ActionConfig,
    /// Templates rendered for each transition; the action sees them as `{{parameters.NAME}}`
    /// (and a shell script as `DV_PARAM_NAME`).
    #[serde(default)]
    pub parameters: BTreeMap<String, String>,
    /// Template; runs with the same rendered key (across rules) never overlap. Empty: no key.
    #[serde(default)]
    pub concurrency_key: String,
    /// After a run of this rule for a concurrency key (or, without one, an alert), further
    /// triggers within this many seconds are skipped. 0: no cooldown.
    #[serde(default)]
    pub cooldown_s: u64,
    /// How long one attempt may take.
    #[serde(default = "default_timeout_s")]
    pub timeout_s: u64,
    /// Attempts in all, retryable failures only; at least 1.
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u32,
    /// The action may safely run twice: a run interrupted by a killed executor is made again
    /// after the restart. Otherwise it is only recorded `interrupted`.
    #[serde(default)]
    pub idempotent: bool,
    /// Ask the notifier to tell someone how the run ended (an event on `dv:notify`).
    #[serde(default)]
    pub notify: Option<NotifyOnRun>,
}

/// What is wrong with a rule, and in which field (`trigger.when`, `action.script`,
/// `parameters.line`, ...).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct RuleProblem {
    pub field: String,
    pub reason: String,
}

impl RuleProblem {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> RuleProblem {
        RuleProblem {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// Which transitions start the rule's action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    /// All must match the alert's labels; none means every alert.
    #[serde(default)]
    pub matchers: Vec<LabelMatcher>,
    /// The alert's severity must be at least this.
    #[serde(default)]
    pub min_severity: Option<Severity>,
    #[serde(default)]
    pub on: TriggerOn,
    /// Optional CEL condition over `labels`, `annotations`, `severity`, `transition`, `rule`
    /// and `value`; see [`TriggerExpression`]. Compiled when the rule is read.
    #[serde(default)]
    pub when: Option<TriggerExpression>,
}

/// Which side of an alert's life triggers: raised (`firing`, including escalations to a higher
/// level), `resolved`, or `both`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TriggerOn {
    #[default]
    Firing,
    Resolved,
    Both,
}

fn default_timeout_s() -> u64 {
    60
}

fn default_max_attempts() -> u32 {
    3
}

impl Trigger {
    /// Whether `transition` starts the action.
    pub fn matches(&self, transition: &AlertTransition) -> bool {
        let raised = matches!(
            transition.kind,
            TransitionKind::Firing | TransitionKind::Escalated
        );
        let resolved = transition.kind == TransitionKind::Resolved;
        let kind_matches = match self.on {
            TriggerOn::Firing => raised,
            TriggerOn::Resolved => resolved,
            TriggerOn::Both => raised || resolved,
        };
        if !kind_matches {
            return false;
        }
        if let Some(min_severity) = self.min_severity
            && transition.severity < min_severity
        {
            return false;
        }
        if !alert::matcher::all_match(&self.matchers, &transition.labels) {
            return false;
        }
        self.when
            .as_ref()
            .is_none_or(|expression| expression.accepts(transition))
    }
}

impl AutomationRule {
    /// Checks what serde cannot: ids, limits and every template.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.check_fields()
            .map_err(|problem| ConfigError::InvalidRule {
                rule: self.id.clone(),
                reason: problem.to_string(),
            })
    }

    /// Like [`validate`](Self::validate), naming the field that is wrong.
    pub fn check_fields(&self) -> Result<(), RuleProblem> {
        if self.id.trim().is_empty() {
            return Err(RuleProblem::new("id", "the id is empty"));
        }
        if self.max_attempts == 0 {
            return Err(RuleProblem::new("max_attempts", "must be at least 1"));
        }
        if self.timeout_s == 0 {
            return Err(RuleProblem::new("timeout_s", "must be at least 1"));
        }
        check_template(&self.concurrency_key)
            .map_err(|reason| RuleProblem::new("concurrency_key", reason))?;
        for (name, template) in &self.parameters {
            check_template(template)
                .map_err(|reason| RuleProblem::new(format!("parameters.{name}"), reason))?;
        }
        Ok(())
    }

    /// The rule's parameters rendered for `transition`.
    pub fn render_parameters(
        &self,
        transition: &AlertTransition,
    ) -> Result<BTreeMap<String, String>, String> {
        let context = TemplateContext::from_transition(transition, BTreeMap::new());
        self.parameters
            .iter()
            .map(|(name, template)| {
                render(template, &context, Escape::None).map(|value| (name.clone(), value))
            })
            .collect()
    }

    /// The rendered concurrency key, `None` when the rule has none.
    pub fn render_concurrency_key(
        &self,
        transition: &AlertTransition,
        parameters: &BTreeMap<String, String>,
    ) -> Result<Option<String>, String> {
        if self.concurrency_key.is_empty() {
            return Ok(None);
        }
        let context = TemplateContext::from_transition(transition, parameters.clone());
        render(&self.concurrency_key, &context, Escape::None).map(Some)
    }
}

/// Checks every rule and that rule ids are unique.
pub fn validate_rules(rules: &[AutomationRule]) -> Result<(), ConfigError> {
    let mut rule_ids = HashSet::new();
    for rule in rules {
        rule.validate()?;
        if !rule_ids.insert(rule.id.as_str()) {
            return Err(ConfigError::InvalidRule {
                rule: rule.id.clone(),
                reason: "the id is used by another rule".to_string(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "rule_tests.rs"]
mod tests;
