//! A tiny, safe template substitution for action parameters, arguments, URLs, headers and
//! bodies: `{{labels.line}}`, `{{annotations.summary}}`, `{{parameters.unit}}`, `{{severity}}`,
//! `{{value}}`, `{{fingerprint}}`, `{{alertname}}`, `{{kind}}`.
//!
//! There are no expressions, loops or function calls: a placeholder is replaced by a value and
//! the result is never evaluated again, so alert data cannot run code. A missing label reads
//! as the empty string (as in Prometheus); an unknown placeholder is a configuration error,
//! found by [`check_template`] when the rule is built. Where the text lands in JSON or a URL,
//! [`Escape`] makes each substituted value stay a value.

use std::collections::BTreeMap;

use detectviz::AlertTransition;

/// How substituted values are escaped for the place the rendered text goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escape {
    /// Values as they are: argv items, environment variables, plain text.
    None,
    /// Values as the inside of a JSON string (`"` and control characters escaped).
    JsonString,
    /// Values percent-encoded except unreserved characters, for URL paths and queries.
    Url,
}

/// What placeholders can refer to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TemplateContext {
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub parameters: BTreeMap<String, String>,
    pub severity: String,
    pub value: String,
    pub fingerprint: String,
    pub alertname: String,
    pub kind: String,
}

impl TemplateContext {
    /// The context of one alert transition, with the rule's already rendered parameters.
    pub fn from_transition(
        transition: &AlertTransition,
        parameters: BTreeMap<String, String>,
    ) -> TemplateContext {
        TemplateContext {
            labels: transition.labels.0.clone(),
            annotations: transition.annotations.clone(),
            parameters,
            severity: transition.severity.as_str().to_string(),
            value: transition
                .value
                .map(|value| value.to_string())
                .unwrap_or_default(),
            fingerprint: transition.fingerprint.clone(),
            alertname: transition.rule_name.clone(),
            kind: transition.kind.as_str().to_string(),
        }
    }

    fn lookup(&self, placeholder: &str) -> Result<String, String> {
        if let Some(name) = placeholder.strip_prefix("labels.") {
            return Ok(self.labels.get(name).cloned().unwrap_or_default());
        }
        if let Some(name) = placeholder.strip_prefix("annotations.") {
            return Ok(self.annotations.get(name).cloned().unwrap_or_default());
        }
        if let Some(name) = placeholder.strip_prefix("parameters.") {
            return Ok(self.parameters.get(name).cloned().unwrap_or_default());
        }
        match placeholder {
            "severity" => Ok(self.severity.clone()),
            "value" => Ok(self.value.clone()),
            "fingerprint" => Ok(self.fingerprint.clone()),
            "alertname" => Ok(self.alertname.clone()),
            "kind" => Ok(self.kind.clone()),
            unknown => Err(format!("unknown placeholder `{{{{{unknown}}}}}`")),
        }
    }
}

/// Checks that every `{{...}}` in `template` is closed and names something a context has.
pub fn check_template(template: &str) -> Result<(), String> {
    render(template, &TemplateContext::default(), Escape::None).map(|_| ())
}

/// Replaces each placeholder by its value, escaped for where the text goes.
pub fn render(template: &str, context: &TemplateContext, escape: Escape) -> Result<String, String> {
    let mut rendered = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        rendered.push_str(&rest[..start]);
        let after_open = &rest[start + 2..];
        let Some(end) = after_open.find("}}") else {
            return Err(format!("unclosed `{{{{` in `{template}`"));
        };
        let value = context.lookup(after_open[..end].trim())?;
        push_escaped(&mut rendered, &value, escape);
        rest = &after_open[end + 2..];
    }
    rendered.push_str(rest);
    Ok(rendered)
}

fn push_escaped(rendered: &mut String, value: &str, escape: Escape) {
    match escape {
        Escape::None => rendered.push_str(value),
        Escape::JsonString => {
            let quoted = serde_json::Value::String(value.to_string()).to_string();
            rendered.push_str(&quoted[1..quoted.len() - 1]);
        }
        Escape::Url => {
            for byte in value.bytes() {
                if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
                    rendered.push(char::from(byte));
                } else {
                    rendered.push_str(&format!("%{byte:02X}"));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> TemplateContext {
        TemplateContext {
            labels: BTreeMap::from([("line".to_string(), "line-3".to_string())]),
            parameters: BTreeMap::from([("unit".to_string(), "°C".to_string())]),
            severity: "critical".to_string(),
            value: "92.5".to_string(),
            ..TemplateContext::default()
        }
    }

    #[test]
    fn placeholders_are_replaced_and_missing_labels_read_as_empty() {
        let rendered = render(
            "{{labels.line}} {{ severity }} {{value}}{{parameters.unit}} [{{labels.rack}}]",
            &context(),
            Escape::None,
        )
        .unwrap();
        assert_eq!(rendered, "line-3 critical 92.5°C []");
    }

    #[test]
    fn unknown_and_unclosed_placeholders_are_refused() {
        assert!(check_template("{{labels.x}} {{severity}}").is_ok());
        let unknown = check_template("{{system(\"id\")}}").unwrap_err();
        assert!(unknown.contains("unknown placeholder"), "{unknown}");
        assert!(check_template("{{severity").is_err());
    }

    #[test]
    fn substituted_values_are_never_evaluated_again() {
        let mut context = context();
        context.labels.insert(
            "line".to_string(),
            "{{severity}} $(touch /tmp/pwned)".to_string(),
        );
        let rendered = render("{{labels.line}}", &context, Escape::None).unwrap();
        assert_eq!(rendered, "{{severity}} $(touch /tmp/pwned)");
    }

    #[test]
    fn values_are_escaped_for_json_and_urls() {
        let mut context = context();
        context
            .labels
            .insert("line".to_string(), "a\"b\n/../?x=1".to_string());
        let json = render(
            "{\"line\":\"{{labels.line}}\"}",
            &context,
            Escape::JsonString,
        )
        .unwrap();
        let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(parsed["line"], "a\"b\n/../?x=1");
        let url = render("http://h/x/{{labels.line}}", &context, Escape::Url).unwrap();
        assert_eq!(url, "http://h/x/a%22b%0A%2F..%2F%3Fx%3D1");
    }
}
