//! Slack channel: posts to an incoming webhook with Block Kit blocks (header, a section of
//! fields, one section per alert, context) and a top-level `text` fallback for notifications.
//!
//! Slack's limits are kept: at most 50 blocks, header text 150 characters, section text 3,000,
//! field text 2,000; longer text is cut with a visible marker and alerts that do not fit are
//! summarised in one "and N more" section. See `slack.sample.toml`.

use reqwest::header::CONTENT_TYPE;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::channel::http::{build_client, parse_peer_url, status_error, transport_error};
use crate::channel::{Channel, Delivered, SendFuture};
use crate::error::{ChannelError, ConfigError};
use crate::notification::{Notification, NotificationStatus};
use crate::render::{
    Language, render_alert_details, render_alert_headline, severity_word, status_word,
    truncate_with_marker,
};
use crate::template::{ChannelTemplates, TemplateOverride};
use detectviz::Secret;

/// The sample configuration, checked by the tests.
pub const SAMPLE_CONFIG: &str = include_str!("slack.sample.toml");

pub const MAX_BLOCKS: usize = 50;
pub const MAX_HEADER_CHARS: usize = 150;
pub const MAX_SECTION_TEXT_CHARS: usize = 3000;
pub const MAX_FIELD_TEXT_CHARS: usize = 2000;
/// Blocks that are not alert sections: header, fields, "and N more", context, actions.
const FIXED_BLOCKS: usize = 5;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlackConfig {
    pub name: String,
    /// `https://hooks.slack.com/services/...`; secret because the path is the credential.
    pub webhook_url: Secret,
    /// `zh-TW` (default) or `en`: the default templates' language and the blocks' words.
    #[serde(default)]
    pub language: Language,
    /// Own `title` template (header block and fallback `text`).
    #[serde(default)]
    pub template: Option<TemplateOverride>,
}

/// A configured Slack incoming webhook.
pub struct Slack {
    name: String,
    webhook_url: reqwest::Url,
    peer: String,
    templates: ChannelTemplates,
    client: reqwest::Client,
}

impl Slack {
    pub fn new(config: &SlackConfig) -> Result<Slack, ConfigError> {
        let (webhook_url, peer) =
            parse_peer_url(&config.name, "webhook_url", config.webhook_url.expose())?;
        Ok(Slack {
            name: config.name.clone(),
            webhook_url,
            peer,
            templates: ChannelTemplates::new(
                &config.name,
                config.language,
                config.template.as_ref(),
            )?,
            client: build_client(&config.name)?,
        })
    }

    async fn send_notification(
        &self,
        notification: &Notification,
    ) -> Result<Delivered, ChannelError> {
        let response = self
            .client
            .post(self.webhook_url.clone())
            .header(CONTENT_TYPE, "application/json")
            .body(slack_message(notification, &self.templates)?.to_string())
            .send()
            .await
            .map_err(|error| transport_error(&self.name, &self.peer, error))?;
        if !response.status().is_success() {
            return Err(status_error(&self.name, &self.peer, response).await);
        }
        Ok(Delivered::default())
    }
}

/// Shows the name and peer host only: the URL and headers may carry credentials.
impl std::fmt::Debug for Slack {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Slack")
            .field("name", &self.name)
            .field("peer", &self.peer)
            .finish_non_exhaustive()
    }
}

impl Channel for Slack {
    fn name(&self) -> &str {
        &self.name
    }

    fn send<'a>(&'a self, notification: &'a Notification) -> SendFuture<'a> {
        Box::pin(self.send_notification(notification))
    }
}

/// The webhook body: `{"text": fallback, "blocks": [...]}` within Slack's limits; the
/// title (header and fallback) comes from the channel's title template.
pub fn slack_message(
    notification: &Notification,
    templates: &ChannelTemplates,
) -> Result<Value, ChannelError> {
    let language = templates.language();
    let title = format!(
        "{} {}",
        status_emoji(notification),
        templates.title(notification)?
    );
    let mut blocks = vec![
        json!({
            "type": "header",
            "text": {"type": "plain_text", "text": truncate_with_marker(&title, MAX_HEADER_CHARS, language)}
        }),
        summary_fields_block(notification, language),
    ];
    let alert_sections = MAX_BLOCKS - FIXED_BLOCKS;
    for alert in notification.alerts.iter().take(alert_sections) {
        let mut text = format!(
            "*{}*",
            escape_mrkdwn(&render_alert_headline(alert, language))
        );
        for line in render_alert_details(alert, language) {
            text.push('\n');
            text.push_str(&escape_mrkdwn(&line));
        }
        blocks.push(mrkdwn_section(&text, language));
    }
    let left_out = notification.alerts.len().saturating_sub(alert_sections);
    if left_out > 0 {
        let text = match language {
            Language::En => format!("… and {left_out} more alerts"),
            Language::ZhTw => format!("…另有 {left_out} 則告警未列出"),
        };
        blocks.push(mrkdwn_section(&text, language));
    }
    blocks.push(context_block(notification, language));
    if !notification.external_url.is_empty() {
        let label = match language {
            Language::En => "Open in Detectviz",
            Language::ZhTw => "在 Detectviz 開啟",
        };
        blocks.push(json!({
            "type": "actions",
            "elements": [{
                "type": "button",
                "text": {"type": "plain_text", "text": label},
                "url": notification.external_url,
            }]
        }));
    }
    Ok(json!({
        "text": truncate_with_marker(&title, MAX_SECTION_TEXT_CHARS, language),
        "blocks": blocks,
    }))
}

fn status_emoji(notification: &Notification) -> &'static str {
    if notification.status == NotificationStatus::Resolved {
        return "✅";
    }
    match notification.highest_severity() {
        detectviz::Severity::Critical => "🔴",
        detectviz::Severity::Warning => "🟠",
        detectviz::Severity::Info => "🔵",
    }
}

fn summary_fields_block(notification: &Notification, language: Language) -> Value {
    let names: [&str; 4] = match language {
        Language::En => ["Status", "Severity", "Alerts", "Receiver"],
        Language::ZhTw => ["狀態", "嚴重度", "告警數", "接收者"],
    };
    let values = [
        status_word(notification.status, language).to_string(),
        severity_word(notification.highest_severity(), language).to_string(),
        notification.alerts.len().to_string(),
        notification.receiver.clone(),
    ];
    let fields: Vec<Value> = names
        .iter()
        .zip(values)
        .map(|(name, value)| {
            let text = format!("*{name}:*\n{}", escape_mrkdwn(&value));
            json!({"type": "mrkdwn", "text": truncate_with_marker(&text, MAX_FIELD_TEXT_CHARS, language)})
        })
        .collect();
    json!({"type": "section", "fields": fields})
}

fn context_block(notification: &Notification, language: Language) -> Value {
    let text = format!("Detectviz • {}", escape_mrkdwn(&notification.group_key));
    json!({
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": truncate_with_marker(&text, MAX_FIELD_TEXT_CHARS, language)}]
    })
}

fn mrkdwn_section(text: &str, language: Language) -> Value {
    json!({
        "type": "section",
        "text": {"type": "mrkdwn", "text": truncate_with_marker(text, MAX_SECTION_TEXT_CHARS, language)}
    })
}

/// Slack mrkdwn needs `&`, `<` and `>` escaped; everything else is literal.
fn escape_mrkdwn(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
#[path = "slack_tests.rs"]
mod tests;
