//! LINE channel: the Messaging API push endpoint (`POST {api_base}/v2/bot/message/push`) with
//! a channel access token, sending one text message to a user (`U…`), group (`C…`) or room
//! (`R…`).
//!
//! Every push carries an `X-Line-Retry-Key` derived from the notification's idempotency key,
//! so a retried push that LINE already accepted answers 409 instead of sending twice; 409 is
//! therefore reported as delivered. Text is cut to LINE's 5,000 characters with a marker.
//! LINE Notify ended on 2025-03-31; configs pointing at it are rejected. See `line.sample.toml`.

use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::channel::http::{build_client, parse_peer_url, status_error, transport_error};
use crate::channel::{Channel, Delivered, SendFuture};
use crate::error::{ChannelError, ConfigError};
use crate::notification::Notification;
use crate::render::{Language, truncate_with_marker};
use crate::template::{ChannelTemplates, TemplateOverride};
use detectviz::Secret;

/// The sample configuration, checked by the tests.
pub const SAMPLE_CONFIG: &str = include_str!("line.sample.toml");

pub const DEFAULT_API_BASE: &str = "https://api.line.me";
pub const MAX_TEXT_CHARS: usize = 5000;
const PUSH_PATH: &str = "/v2/bot/message/push";
const RETRY_KEY_HEADER: &str = "X-Line-Retry-Key";
const ACCEPTED_REQUEST_ID_HEADER: &str = "x-line-accepted-request-id";
const LINE_NOTIFY_HOSTS: [&str; 2] = ["notify-api.line.me", "notify-bot.line.me"];

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineConfig {
    pub name: String,
    /// User (`U…`), group (`C…`) or room (`R…`) id the bot pushes to.
    pub to: String,
    /// Channel access token of the Messaging API channel.
    pub channel_access_token: Secret,
    #[serde(default = "default_api_base")]
    pub api_base: String,
    /// `zh-TW` (default) or `en`: the default templates' language.
    #[serde(default)]
    pub language: Language,
    /// Own `body` template (the text message).
    #[serde(default)]
    pub template: Option<TemplateOverride>,
    /// Deliver silently (no push notification sound on the phone).
    #[serde(default)]
    pub notification_disabled: bool,
}

fn default_api_base() -> String {
    DEFAULT_API_BASE.to_string()
}

/// A configured LINE Messaging API push target.
pub struct Line {
    name: String,
    to: String,
    push_url: reqwest::Url,
    peer: String,
    authorization: HeaderValue,
    templates: ChannelTemplates,
    notification_disabled: bool,
    client: reqwest::Client,
}

impl Line {
    pub fn new(config: &LineConfig) -> Result<Line, ConfigError> {
        let name = config.name.as_str();
        let push_url = format!("{}{PUSH_PATH}", config.api_base.trim_end_matches('/'));
        let (push_url, peer) = parse_peer_url(name, "api_base", &push_url)?;
        let is_line_notify = push_url
            .host_str()
            .is_some_and(|host| LINE_NOTIFY_HOSTS.contains(&host));
        if is_line_notify {
            return Err(ConfigError::invalid(
                name,
                "LINE Notify ended on 2025-03-31; use the Messaging API instead: set \
                 `channel_access_token` of a Messaging API channel, `to` (user or group id) and \
                 leave `api_base` at https://api.line.me",
            ));
        }
        let has_line_id_shape = config.to.len() > 1 && config.to.starts_with(['U', 'C', 'R']);
        if !has_line_id_shape {
            return Err(ConfigError::invalid(
                name,
                "`to` must be a LINE user (U…), group (C…) or room (R…) id",
            ));
        }
        let mut authorization =
            HeaderValue::from_str(&format!("Bearer {}", config.channel_access_token.expose()))
                .map_err(|_| {
                    ConfigError::invalid(name, "`channel_access_token` is not a valid header value")
                })?;
        authorization.set_sensitive(true);
        Ok(Line {
            name: name.to_string(),
            to: config.to.clone(),
            push_url,
            peer,
            authorization,
            templates: ChannelTemplates::new(name, config.language, config.template.as_ref())?,
            notification_disabled: config.notification_disabled,
            client: build_client(name)?,
        })
    }

    /// The `X-Line-Retry-Key` for a notification: the same notification to the same target
    /// always gets the same key.
    pub fn retry_key(&self, notification: &Notification) -> uuid::Uuid {
        line_retry_key(&notification.idempotency_key, &self.to)
    }

    async fn send_notification(
        &self,
        notification: &Notification,
    ) -> Result<Delivered, ChannelError> {
        let response = self
            .client
            .post(self.push_url.clone())
            .header(CONTENT_TYPE, "application/json")
            .header(AUTHORIZATION, self.authorization.clone())
            .header(RETRY_KEY_HEADER, self.retry_key(notification).to_string())
            .body(self.push_body(notification)?.to_string())
            .send()
            .await
            .map_err(|error| transport_error(&self.name, &self.peer, error))?;
        if response.status() == StatusCode::CONFLICT {
            let accepted_request_id = response
                .headers()
                .get(ACCEPTED_REQUEST_ID_HEADER)
                .and_then(|value| value.to_str().ok())
                .map(str::to_string);
            return Ok(Delivered {
                provider_message_id: accepted_request_id,
            });
        }
        if !response.status().is_success() {
            return Err(status_error(&self.name, &self.peer, response).await);
        }
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        let sent_message_id = answer["sentMessages"][0]["id"].as_str().map(str::to_string);
        Ok(Delivered {
            provider_message_id: sent_message_id,
        })
    }

    /// The push request body with one text message, the channel's body template.
    pub fn push_body(&self, notification: &Notification) -> Result<Value, ChannelError> {
        let text = self.templates.body(notification)?;
        let language = self.templates.language();
        let mut body = json!({
            "to": self.to,
            "messages": [{"type": "text", "text": truncate_with_marker(&text, MAX_TEXT_CHARS, language)}],
        });
        if self.notification_disabled {
            body["notificationDisabled"] = Value::Bool(true);
        }
        Ok(body)
    }
}

/// Shows the name, target and host only: never the access token.
impl std::fmt::Debug for Line {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Line")
            .field("name", &self.name)
            .field("to", &self.to)
            .field("peer", &self.peer)
            .finish_non_exhaustive()
    }
}

impl Channel for Line {
    fn name(&self) -> &str {
        &self.name
    }

    fn send<'a>(&'a self, notification: &'a Notification) -> SendFuture<'a> {
        Box::pin(self.send_notification(notification))
    }
}

/// A UUID (version 4 layout) from SHA-256 of the idempotency key and the target.
pub fn line_retry_key(idempotency_key: &str, to: &str) -> uuid::Uuid {
    let mut hasher = Sha256::new();
    hasher.update(b"detectviz line retry key\0");
    hasher.update(idempotency_key.as_bytes());
    hasher.update([0u8]);
    hasher.update(to.as_bytes());
    let digest = hasher.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

#[cfg(test)]
#[path = "line_tests.rs"]
mod tests;
