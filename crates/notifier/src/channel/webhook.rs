//! Webhook channel: POSTs the Prometheus Alertmanager v4 webhook body (`"version": "4"`), so
//! anything that accepts Alertmanager webhooks accepts Detectviz notifications; or, with
//! `body_format = "grafana"`, Grafana's webhook contact point body (`"version": "1"`).
//!
//! Options: extra headers, bearer or basic auth, an HMAC-SHA256 signature of the exact body
//! (`X-Detectviz-Signature: sha256=<hex>` by default), and `max_alerts` (alerts beyond it are
//! dropped and counted in `truncatedAlerts`). `body_format = "template"` posts the channel's
//! body template instead (minijinja, `tojson` for JSON values) with `content_type`. Every
//! request carries `Idempotency-Key`, the
//! notification's idempotency key, for receivers that deduplicate. See `webhook.sample.toml`.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderName, HeaderValue};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::channel::http::{build_client, parse_peer_url, status_error, transport_error};
use crate::channel::{Channel, Delivered, SendFuture};
use crate::error::{ChannelError, ConfigError};
use crate::notification::{Notification, NotificationAlert, NotificationStatus};
use crate::render::Language;
use crate::template::{ChannelTemplates, TemplateOverride};
use detectviz::Secret;

/// The sample configuration, checked by the tests.
pub const SAMPLE_CONFIG: &str = include_str!("webhook.sample.toml");

const DEFAULT_SIGNATURE_HEADER: &str = "X-Detectviz-Signature";

/// Alertmanager's zero time, used as `endsAt` of firing alerts.
const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    pub name: String,
    /// The receiver's URL; secret because URLs often carry tokens.
    pub url: Secret,
    /// `alertmanager` (default, v4 body), `grafana` (Grafana webhook v1 body) or `template`
    /// (the body template, e.g. a JSON document for another tool).
    #[serde(default)]
    pub body_format: WebhookBodyFormat,
    /// `Content-Type` of a `template` body.
    #[serde(default = "default_content_type")]
    pub content_type: String,
    /// Language of the default templates (Grafana `title` and `message`, `template` body).
    #[serde(default)]
    pub language: Language,
    /// Own `title` and `body` templates; with `body_format = "template"`, `body` is the
    /// request body.
    #[serde(default)]
    pub template: Option<TemplateOverride>,
    /// Extra request headers; values are secret because they often carry API keys.
    #[serde(default)]
    pub headers: BTreeMap<String, Secret>,
    /// Most alerts in one body; 0 means no limit.
    #[serde(default)]
    pub max_alerts: usize,
    /// Key of the HMAC-SHA256 body signature; no signature when absent.
    #[serde(default)]
    pub signature_secret: Option<Secret>,
    #[serde(default = "default_signature_header")]
    pub signature_header: String,
    #[serde(default)]
    pub bearer_token: Option<Secret>,
    #[serde(default)]
    pub basic_auth: Option<BasicAuth>,
}

/// Which receiver's body shape the webhook sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookBodyFormat {
    #[default]
    Alertmanager,
    Grafana,
    Template,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BasicAuth {
    pub username: String,
    pub password: Secret,
}

/// Carries the notification's idempotency key: the same notification sent again (a retry, or
/// a resend after a crash) has the same key, so a receiver that remembers keys sees it once.
pub const IDEMPOTENCY_KEY_HEADER: &str = "Idempotency-Key";

fn default_content_type() -> String {
    "application/json".to_string()
}

fn default_signature_header() -> String {
    DEFAULT_SIGNATURE_HEADER.to_string()
}

/// A configured webhook receiver.
pub struct Webhook {
    name: String,
    url: reqwest::Url,
    peer: String,
    headers: Vec<(HeaderName, HeaderValue)>,
    body_format: WebhookBodyFormat,
    content_type: HeaderValue,
    templates: ChannelTemplates,
    max_alerts: usize,
    signature: Option<(HeaderName, Secret)>,
    client: reqwest::Client,
}

impl Webhook {
    pub fn new(config: &WebhookConfig) -> Result<Webhook, ConfigError> {
        let name = config.name.as_str();
        let (url, peer) = parse_peer_url(name, "url", config.url.expose())?;
        if config.bearer_token.is_some() && config.basic_auth.is_some() {
            return Err(ConfigError::invalid(
                name,
                "set either `bearer_token` or `basic_auth`, not both",
            ));
        }
        let mut headers = Vec::new();
        for (header_name, value) in &config.headers {
            headers.push((
                parse_header_name(name, header_name)?,
                secret_header_value(name, header_name, value.expose())?,
            ));
        }
        if let Some(token) = &config.bearer_token {
            let value = format!("Bearer {}", token.expose());
            headers.push((
                AUTHORIZATION,
                secret_header_value(name, "bearer_token", &value)?,
            ));
        }
        if let Some(basic_auth) = &config.basic_auth {
            let value = basic_authorization(&basic_auth.username, basic_auth.password.expose());
            headers.push((
                AUTHORIZATION,
                secret_header_value(name, "basic_auth", &value)?,
            ));
        }
        let signature = match &config.signature_secret {
            Some(secret) => Some((
                parse_header_name(name, &config.signature_header)?,
                secret.clone(),
            )),
            None => None,
        };
        Ok(Webhook {
            name: name.to_string(),
            url,
            peer,
            headers,
            body_format: config.body_format,
            content_type: HeaderValue::from_str(&config.content_type).map_err(|_| {
                ConfigError::invalid(name, "`content_type` is not a valid header value")
            })?,
            templates: ChannelTemplates::new(name, config.language, config.template.as_ref())?,
            max_alerts: config.max_alerts,
            signature,
            client: build_client(name)?,
        })
    }

    async fn send_notification(
        &self,
        notification: &Notification,
    ) -> Result<Delivered, ChannelError> {
        let (body, content_type) = match self.body_format {
            WebhookBodyFormat::Alertmanager => (
                serde_json::to_vec(&alertmanager_message(notification, self.max_alerts)),
                HeaderValue::from_static("application/json"),
            ),
            WebhookBodyFormat::Grafana => (
                serde_json::to_vec(&grafana_message(
                    notification,
                    self.max_alerts,
                    &self.templates,
                )?),
                HeaderValue::from_static("application/json"),
            ),
            WebhookBodyFormat::Template => (
                Ok(self.templates.body(notification)?.into_bytes()),
                self.content_type.clone(),
            ),
        };
        let body = body.map_err(|error| ChannelError::InvalidMessage {
            channel: self.name.clone(),
            reason: error.to_string(),
        })?;
        let mut request = self
            .client
            .post(self.url.clone())
            .header(CONTENT_TYPE, content_type)
            .header(IDEMPOTENCY_KEY_HEADER, &notification.idempotency_key);
        for (header_name, value) in &self.headers {
            request = request.header(header_name, value);
        }
        if let Some((header_name, secret)) = &self.signature {
            request = request.header(header_name, body_signature(secret.expose(), &body));
        }
        let response = request
            .body(body)
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
impl std::fmt::Debug for Webhook {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Webhook")
            .field("name", &self.name)
            .field("peer", &self.peer)
            .finish_non_exhaustive()
    }
}

impl Channel for Webhook {
    fn name(&self) -> &str {
        &self.name
    }

    fn send<'a>(&'a self, notification: &'a Notification) -> SendFuture<'a> {
        Box::pin(self.send_notification(notification))
    }
}

/// The Alertmanager v4 webhook body.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertmanagerMessage<'a> {
    pub version: &'static str,
    pub group_key: &'a str,
    pub truncated_alerts: usize,
    pub status: &'static str,
    pub receiver: &'a str,
    pub group_labels: &'a BTreeMap<String, String>,
    pub common_labels: &'a BTreeMap<String, String>,
    pub common_annotations: &'a BTreeMap<String, String>,
    #[serde(rename = "externalURL")]
    pub external_url: &'a str,
    pub alerts: Vec<AlertmanagerAlert<'a>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertmanagerAlert<'a> {
    pub status: &'static str,
    pub labels: &'a BTreeMap<String, String>,
    pub annotations: &'a BTreeMap<String, String>,
    pub starts_at: String,
    pub ends_at: String,
    #[serde(rename = "generatorURL")]
    pub generator_url: &'a str,
    pub fingerprint: &'a str,
}

/// Builds the v4 body, keeping at most `max_alerts` alerts (0 = all).
pub fn alertmanager_message(
    notification: &Notification,
    max_alerts: usize,
) -> AlertmanagerMessage<'_> {
    let kept = if max_alerts == 0 {
        notification.alerts.len()
    } else {
        max_alerts.min(notification.alerts.len())
    };
    AlertmanagerMessage {
        version: "4",
        group_key: &notification.group_key,
        truncated_alerts: notification.alerts.len() - kept,
        status: notification.status.as_str(),
        receiver: &notification.receiver,
        group_labels: &notification.group_labels,
        common_labels: &notification.common_labels,
        common_annotations: &notification.common_annotations,
        external_url: &notification.external_url,
        alerts: notification.alerts[..kept]
            .iter()
            .map(alertmanager_alert)
            .collect(),
    }
}

/// Grafana's webhook contact point body (`"version": "1"`): the v4 body plus `orgId`, `title`,
/// `state` (`alerting` or `ok`), `message`, and per alert the URL fields (empty: Detectviz has
/// no dashboards or panels of Grafana's kind), `values` and `valueString`.
pub fn grafana_message(
    notification: &Notification,
    max_alerts: usize,
    templates: &ChannelTemplates,
) -> Result<Value, ChannelError> {
    let mut body = serde_json::to_value(alertmanager_message(notification, max_alerts))
        .expect("the v4 body is plain json");
    body["version"] = json!("1");
    body["orgId"] = json!(1);
    body["title"] = json!(templates.title(notification)?);
    body["message"] = json!(templates.body(notification)?);
    body["state"] = match notification.status {
        NotificationStatus::Firing => json!("alerting"),
        NotificationStatus::Resolved => json!("ok"),
    };
    let Some(alerts) = body["alerts"].as_array_mut() else {
        return Ok(body);
    };
    for (alert_body, alert) in alerts.iter_mut().zip(&notification.alerts) {
        alert_body["silenceURL"] = json!("");
        alert_body["dashboardURL"] = json!("");
        alert_body["panelURL"] = json!("");
        alert_body["values"] = match alert.value {
            Some(value) => json!({ "A": value }),
            None => json!({}),
        };
        alert_body["valueString"] = match alert.value {
            Some(value) => json!(format!("[ var='A' labels={{}} value={value} ]")),
            None => json!(""),
        };
    }
    Ok(body)
}

fn alertmanager_alert(alert: &NotificationAlert) -> AlertmanagerAlert<'_> {
    AlertmanagerAlert {
        status: alert.status.as_str(),
        labels: &alert.labels,
        annotations: &alert.annotations,
        starts_at: alertmanager_time(alert.starts_at),
        ends_at: alert
            .ends_at
            .map_or_else(|| ZERO_TIME.to_string(), alertmanager_time),
        generator_url: alert.generator_url.as_deref().unwrap_or(""),
        fingerprint: &alert.fingerprint,
    }
}

fn alertmanager_time(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub use detectviz::signature::body_signature;

fn parse_header_name(channel: &str, header_name: &str) -> Result<HeaderName, ConfigError> {
    HeaderName::from_bytes(header_name.as_bytes()).map_err(|_| {
        ConfigError::invalid(
            channel,
            format!("`{header_name}` is not a valid header name"),
        )
    })
}

/// A header value marked sensitive; the error never includes the value.
fn secret_header_value(
    channel: &str,
    field: &str,
    value: &str,
) -> Result<HeaderValue, ConfigError> {
    let mut header_value = HeaderValue::from_str(value).map_err(|_| {
        ConfigError::invalid(channel, format!("`{field}` is not a valid header value"))
    })?;
    header_value.set_sensitive(true);
    Ok(header_value)
}

fn basic_authorization(username: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64_encode(format!("{username}:{password}").as_bytes())
    )
}

fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut encoded = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let triple = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for index in 0..4 {
            if index <= chunk.len() {
                encoded.push(ALPHABET[(triple >> (18 - 6 * index)) as usize & 63] as char);
            } else {
                encoded.push('=');
            }
        }
    }
    encoded
}

#[cfg(test)]
#[path = "webhook_tests.rs"]
mod tests;
