//! The optional CEL condition of an automation trigger, e.g.
//! `labels.site == "north" && value > 90.0 && transition == "firing"`.
//!
//! Compiled once, when the rule is read (a bad expression is refused with the parser's
//! message). It sees `labels` and `annotations` (maps of strings), `severity` (`info`,
//! `warning`, `critical`), `transition` (`firing`, `escalated`, `resolved`, ...), `rule`
//! (the alert rule's id) and `value` (the triggering value, or `0.0` when there is none). The
//! action runs only when the expression evaluates to `true`; any other result, or an
//! evaluation error such as reading a missing label, means no run. Test for a label with
//! `has(labels.rack)` or `"rack" in labels`.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use cel::{Context, Program, Value};
use detectviz::AlertTransition;
use serde::{Deserialize, Serialize, Serializer};

/// A compiled CEL expression with its source text.
#[derive(Clone, Deserialize)]
#[serde(try_from = "String")]
pub struct TriggerExpression {
    source: String,
    program: Arc<Program>,
}

impl TriggerExpression {
    /// Compiles `source`; the error is the parser's message.
    pub fn new(source: impl Into<String>) -> Result<TriggerExpression, String> {
        let source = source.into();
        let program = Program::compile(&source)
            .map_err(|error| format!("`when = {source:?}` is not valid CEL: {error}"))?;
        Ok(TriggerExpression {
            source,
            program: Arc::new(program),
        })
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether `transition` satisfies the expression (it evaluated to `true`).
    pub fn accepts(&self, transition: &AlertTransition) -> bool {
        let labels: HashMap<String, String> = transition
            .labels
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        let annotations: HashMap<String, String> = transition
            .annotations
            .iter()
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        let transition_name = serde_json::to_value(transition.kind)
            .ok()
            .and_then(|value| value.as_str().map(str::to_string))
            .unwrap_or_default();
        let mut context = Context::default();
        context.add_variable_from_value("labels", labels);
        context.add_variable_from_value("annotations", annotations);
        context.add_variable_from_value("severity", transition.severity.as_str().to_string());
        context.add_variable_from_value("transition", transition_name);
        context.add_variable_from_value("rule", transition.rule_id.clone());
        context.add_variable_from_value("value", transition.value.unwrap_or(0.0));
        matches!(self.program.execute(&context), Ok(Value::Bool(true)))
    }
}

impl PartialEq for TriggerExpression {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl fmt::Debug for TriggerExpression {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_tuple("TriggerExpression")
            .field(&self.source)
            .finish()
    }
}

impl TryFrom<String> for TriggerExpression {
    type Error = String;

    fn try_from(source: String) -> Result<Self, Self::Error> {
        TriggerExpression::new(source)
    }
}

/// Shown as its source text, as written in the rule.
impl Serialize for TriggerExpression {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.source)
    }
}
