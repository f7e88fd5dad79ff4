//! Channel templates (minijinja): each channel renders a title, a text body and, for email,
//! an HTML body from templates. The defaults, in English and Traditional Chinese, ship with
//! the crate (`templates/<language>/`); a channel's `template` table overrides any of them.
//!
//! The templates see: `title` (in bodies), `status` (`firing`/`resolved`), `status_word`,
//! `severity`, `severity_word`, `alert_name`, `count` (alerts with the notification's
//! status), `receiver`, `group_key`, `group_labels`, `common_labels`,
//! `common_annotations`, `external_url`, and `alerts`, each with `status`, `status_word`,
//! `severity`, `severity_word`, `alert_name`, `summary`, `value`, `value_text`,
//! `starts_at`, `ends_at` (UTC text), `labels`, `labels_text`, `annotations`,
//! `fingerprint` and `generator_url`. The HTML body escapes every value; the `tojson`
//! filter writes JSON (for custom webhook bodies). A template that does not compile is a
//! configuration error naming the channel, the template and the line; one that fails
//! while rendering is a final send error with the same details.

use std::collections::BTreeMap;

use minijinja::syntax::SyntaxConfig;
use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde::{Deserialize, Serialize};

use crate::error::{ChannelError, ConfigError};
use crate::notification::Notification;
use crate::render::{Language, escape_html, severity_word, status_word};

const TITLE: &str = "title";
const BODY: &str = "body";
const HTML_BODY: &str = "body.html";

/// A channel's own templates, each replacing the default of its language.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateOverride {
    /// Title: email subject, Slack header and fallback text, Grafana webhook title.
    #[serde(default)]
    pub title: Option<String>,
    /// Text body: email text part, LINE text, Grafana message, the custom webhook body.
    #[serde(default)]
    pub body: Option<String>,
    /// HTML body: the email HTML part.
    #[serde(default)]
    pub html: Option<String>,
}

fn default_source(language: Language, template: &str) -> &'static str {
    match (language, template) {
        (Language::En, TITLE) => include_str!("../templates/en/title.j2"),
        (Language::En, BODY) => include_str!("../templates/en/body.j2"),
        (Language::En, _) => include_str!("../templates/en/body.html.j2"),
        (Language::ZhTw, TITLE) => include_str!("../templates/zh-TW/title.j2"),
        (Language::ZhTw, BODY) => include_str!("../templates/zh-TW/body.j2"),
        (Language::ZhTw, _) => include_str!("../templates/zh-TW/body.html.j2"),
    }
}

/// The compiled templates of one channel.
pub struct ChannelTemplates {
    channel: String,
    language: Language,
    environment: Environment<'static>,
}

impl std::fmt::Debug for ChannelTemplates {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("ChannelTemplates")
            .field("channel", &self.channel)
            .field("language", &self.language)
            .finish_non_exhaustive()
    }
}

/// `template `body` line 3: <what>`; the channel is named by the error carrying it.
fn describe(error: &minijinja::Error) -> String {
    let template = error.name().unwrap_or("?");
    let detail = error
        .detail()
        .map(str::to_string)
        .unwrap_or_else(|| error.kind().to_string());
    match error.line() {
        Some(line) => format!("template `{template}` line {line}: {detail}"),
        None => format!("template `{template}`: {detail}"),
    }
}

impl ChannelTemplates {
    /// Compiles the channel's templates: the language's defaults, replaced by `custom`.
    pub fn new(
        channel: &str,
        language: Language,
        custom: Option<&TemplateOverride>,
    ) -> Result<ChannelTemplates, ConfigError> {
        let mut environment = Environment::new();
        let syntax = SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()
            .expect("the default delimiters are valid");
        environment.set_syntax(syntax);
        environment.set_undefined_behavior(UndefinedBehavior::Chainable);
        environment.set_auto_escape_callback(|name| match name {
            HTML_BODY => AutoEscape::Html,
            _ => AutoEscape::None,
        });
        environment.set_formatter(|output, state, value| {
            let escapes = matches!(state.auto_escape(), AutoEscape::Html) && !value.is_safe();
            match value.as_str() {
                Some(text) if escapes => output.write_str(&escape_html(text)).map_err(Into::into),
                _ => minijinja::escape_formatter(output, state, value),
            }
        });
        let custom = custom.cloned().unwrap_or_default();
        for (name, custom_source) in [
            (TITLE, custom.title),
            (BODY, custom.body),
            (HTML_BODY, custom.html),
        ] {
            let source =
                custom_source.unwrap_or_else(|| default_source(language, name).to_string());
            environment
                .add_template_owned(name, source)
                .map_err(|error| ConfigError::invalid(channel, describe(&error)))?;
        }
        Ok(ChannelTemplates {
            channel: channel.to_string(),
            language,
            environment,
        })
    }

    pub fn language(&self) -> Language {
        self.language
    }

    /// The title, on one line.
    pub fn title(&self, notification: &Notification) -> Result<String, ChannelError> {
        let context = TemplateContext::new(notification, self.language, String::new());
        let title = self.render(TITLE, &context)?;
        Ok(title.trim().to_string())
    }

    /// The text body, without trailing newlines.
    pub fn body(&self, notification: &Notification) -> Result<String, ChannelError> {
        let title = self.title(notification)?;
        let context = TemplateContext::new(notification, self.language, title);
        let body = self.render(BODY, &context)?;
        Ok(body.trim_end_matches('\n').to_string())
    }

    /// The HTML body (values escaped).
    pub fn html(&self, notification: &Notification) -> Result<String, ChannelError> {
        let title = self.title(notification)?;
        let context = TemplateContext::new(notification, self.language, title);
        self.render(HTML_BODY, &context)
    }

    fn render(&self, name: &str, context: &TemplateContext) -> Result<String, ChannelError> {
        let template = self
            .environment
            .get_template(name)
            .map_err(|error| self.render_error(&error))?;
        template
            .render(minijinja::value::Serde(context))
            .map_err(|error| self.render_error(&error))
    }

    fn render_error(&self, error: &minijinja::Error) -> ChannelError {
        ChannelError::InvalidMessage {
            channel: self.channel.clone(),
            reason: describe(error),
        }
    }
}

/// What every template sees.
#[derive(Debug, Serialize)]
struct TemplateContext {
    title: String,
    status: &'static str,
    status_word: &'static str,
    severity: &'static str,
    severity_word: &'static str,
    alert_name: String,
    count: usize,
    receiver: String,
    group_key: String,
    group_labels: BTreeMap<String, String>,
    common_labels: BTreeMap<String, String>,
    common_annotations: BTreeMap<String, String>,
    external_url: String,
    alerts: Vec<AlertContext>,
}

#[derive(Debug, Serialize)]
struct AlertContext {
    status: &'static str,
    status_word: &'static str,
    severity: &'static str,
    severity_word: &'static str,
    alert_name: String,
    summary: Option<String>,
    value: Option<f64>,
    /// The value as Detectviz prints it (`86`, `92.5`).
    value_text: Option<String>,
    starts_at: String,
    ends_at: Option<String>,
    labels: BTreeMap<String, String>,
    /// `name=value, name=value`.
    labels_text: String,
    annotations: BTreeMap<String, String>,
    fingerprint: String,
    generator_url: Option<String>,
}

fn format_time(time: chrono::DateTime<chrono::Utc>) -> String {
    time.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

impl TemplateContext {
    fn new(notification: &Notification, language: Language, title: String) -> TemplateContext {
        let alerts = notification
            .alerts
            .iter()
            .map(|alert| AlertContext {
                status: alert.status.as_str(),
                status_word: status_word(alert.status, language),
                severity: alert.severity.as_str(),
                severity_word: severity_word(alert.severity, language),
                alert_name: alert.alert_name().to_string(),
                summary: alert.annotations.get("summary").cloned(),
                value: alert.value,
                value_text: alert.value.map(|value| value.to_string()),
                starts_at: format_time(alert.starts_at),
                ends_at: alert.ends_at.map(format_time),
                labels: alert.labels.clone(),
                labels_text: alert
                    .labels
                    .iter()
                    .map(|(name, value)| format!("{name}={value}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                annotations: alert.annotations.clone(),
                fingerprint: alert.fingerprint.clone(),
                generator_url: alert.generator_url.clone(),
            })
            .collect();
        TemplateContext {
            title,
            status: notification.status.as_str(),
            status_word: status_word(notification.status, language),
            severity: notification.highest_severity().as_str(),
            severity_word: severity_word(notification.highest_severity(), language),
            alert_name: notification.alert_name().to_string(),
            count: notification
                .alerts
                .iter()
                .filter(|alert| alert.status == notification.status)
                .count(),
            receiver: notification.receiver.clone(),
            group_key: notification.group_key.clone(),
            group_labels: notification.group_labels.clone(),
            common_labels: notification.common_labels.clone(),
            common_annotations: notification.common_annotations.clone(),
            external_url: notification.external_url.clone(),
            alerts,
        }
    }
}

#[cfg(test)]
#[path = "template_tests.rs"]
mod tests;
