//! Webhook action: one HTTP request built from templates.
//!
//! The URL, header and body templates use the [`template`](crate::template) placeholders;
//! values are percent-encoded in the URL and JSON-escaped in a JSON body, so alert data cannot
//! change the request's shape. Without a body template the body is
//! `{"run_id", "parameters", "transition"}`. With `signature_secret` the exact body is signed
//! with HMAC-SHA256 (`X-Detectviz-Signature: sha256=<hex>` by default). A 2xx answer is a
//! success, its body (capped) the output and, with `provider_id_pointer`, the JSON value at
//! that pointer the provider id (a ticket number). See `webhook.sample.toml`.

use std::collections::BTreeMap;

use reqwest::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::action::output::{DEFAULT_OUTPUT_CAP_BYTES, cap_bytes_to_text};
use crate::action::{Action, ActionOutput, ActionRequest, ExecuteFuture, Secret};
use crate::error::{ActionError, ConfigError};
use crate::template::{Escape, TemplateContext, check_template, render};

/// The sample configuration, checked by the tests.
pub const SAMPLE_CONFIG: &str = include_str!("webhook.sample.toml");

const DEFAULT_SIGNATURE_HEADER: &str = "X-Detectviz-Signature";
const RUN_ID_HEADER: &str = "X-Detectviz-Run-Id";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    pub name: String,
    /// `POST` by default.
    #[serde(default = "default_method")]
    pub method: String,
    /// URL template; secret because URLs often carry tokens.
    #[serde(serialize_with = "crate::action::masked::secret")]
    pub url: Secret,
    /// Header templates; values are secret because they often carry API keys.
    #[serde(default)]
    #[serde(serialize_with = "crate::action::masked::secret_map")]
    pub headers: BTreeMap<String, Secret>,
    /// Body template; values are JSON-escaped when `content_type` is JSON.
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default = "default_content_type")]
    pub content_type: String,
    /// Key of the HMAC-SHA256 body signature; no signature when absent.
    #[serde(default)]
    #[serde(serialize_with = "crate::action::masked::optional_secret")]
    pub signature_secret: Option<Secret>,
    #[serde(default = "default_signature_header")]
    pub signature_header: String,
    /// JSON pointer (RFC 6901) of the created object's id in the answer, e.g. `/result/number`.
    #[serde(default)]
    pub provider_id_pointer: Option<String>,
    /// Bytes of the answer's body kept in the run record.
    #[serde(default = "default_max_response_bytes")]
    pub max_response_bytes: usize,
}

fn default_method() -> String {
    "POST".to_string()
}

fn default_content_type() -> String {
    "application/json".to_string()
}

fn default_signature_header() -> String {
    DEFAULT_SIGNATURE_HEADER.to_string()
}

fn default_max_response_bytes() -> usize {
    DEFAULT_OUTPUT_CAP_BYTES
}

/// A configured webhook.
pub struct Webhook {
    name: String,
    method: reqwest::Method,
    url_template: Secret,
    headers: Vec<(HeaderName, Secret)>,
    body_template: Option<String>,
    body_escape: Escape,
    content_type: HeaderValue,
    signature: Option<(HeaderName, Secret)>,
    provider_id_pointer: Option<String>,
    max_response_bytes: usize,
    client: reqwest::Client,
}

impl Webhook {
    pub fn new(config: &WebhookConfig) -> Result<Webhook, ConfigError> {
        let name = config.name.as_str();
        let invalid = |reason: String| ConfigError::invalid_action(name, reason);
        let method = reqwest::Method::from_bytes(config.method.to_ascii_uppercase().as_bytes())
            .map_err(|_| invalid(format!("`{}` is not an http method", config.method)))?;
        check_template(config.url.expose()).map_err(|reason| invalid(format!("url: {reason}")))?;
        let example_url = render(
            config.url.expose(),
            &TemplateContext::default(),
            Escape::Url,
        )
        .map_err(|reason| invalid(format!("url: {reason}")))?;
        peer_of(&example_url).map_err(invalid)?;
        let mut headers = Vec::new();
        for (header_name, template) in &config.headers {
            check_template(template.expose())
                .map_err(|reason| invalid(format!("header `{header_name}`: {reason}")))?;
            headers.push((parse_header_name(name, header_name)?, template.clone()));
        }
        if let Some(body) = &config.body {
            check_template(body).map_err(|reason| invalid(format!("body: {reason}")))?;
        }
        let content_type = HeaderValue::from_str(&config.content_type)
            .map_err(|_| invalid("`content_type` is not a valid header value".to_string()))?;
        let body_escape = if config.content_type.contains("json") {
            Escape::JsonString
        } else {
            Escape::None
        };
        let signature = match &config.signature_secret {
            Some(secret) => Some((
                parse_header_name(name, &config.signature_header)?,
                secret.clone(),
            )),
            None => None,
        };
        if let Some(pointer) = &config.provider_id_pointer
            && !pointer.starts_with('/')
        {
            return Err(invalid(format!(
                "`provider_id_pointer` `{pointer}` must start with `/`"
            )));
        }
        let client = reqwest::Client::builder()
            .user_agent(concat!("detectviz-automation/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| invalid(format!("cannot build http client: {error}")))?;
        Ok(Webhook {
            name: name.to_string(),
            method,
            url_template: config.url.clone(),
            headers,
            body_template: config.body.clone(),
            body_escape,
            content_type,
            signature,
            provider_id_pointer: config.provider_id_pointer.clone(),
            max_response_bytes: config.max_response_bytes,
            client,
        })
    }

    async fn call(&self, request: &ActionRequest) -> Result<ActionOutput, ActionError> {
        let context = request.template_context();
        let url = render(self.url_template.expose(), &context, Escape::Url)
            .map_err(|reason| self.invalid_request(reason))?;
        let peer = peer_of(&url).map_err(|reason| self.invalid_request(reason))?;
        let body = self.render_body(request, &context)?;
        let mut http_request = self
            .client
            .request(self.method.clone(), url.as_str())
            .timeout(request.timeout)
            .header(CONTENT_TYPE, self.content_type.clone())
            .header(RUN_ID_HEADER, request.run_id.as_str());
        for (header_name, template) in &self.headers {
            let value = render(template.expose(), &context, Escape::None)
                .map_err(|reason| self.invalid_request(reason))?;
            let mut header_value = HeaderValue::from_str(&value).map_err(|_| {
                self.invalid_request(format!("header `{header_name}` has an invalid value"))
            })?;
            header_value.set_sensitive(true);
            http_request = http_request.header(header_name, header_value);
        }
        if let Some((header_name, secret)) = &self.signature {
            http_request = http_request.header(header_name, body_signature(secret.expose(), &body));
        }
        let response = http_request
            .body(body)
            .send()
            .await
            .map_err(|error| self.transport_error(&peer, request.timeout, error))?;
        let status = response.status();
        let response_body = response
            .bytes()
            .await
            .map_err(|error| self.transport_error(&peer, request.timeout, error))?;
        let text = cap_bytes_to_text(&response_body, self.max_response_bytes);
        if !status.is_success() {
            return Err(ActionError::HttpStatus {
                action: self.name.clone(),
                peer,
                status: status.as_u16(),
                body: text.chars().take(300).collect(),
            });
        }
        Ok(ActionOutput {
            exit_code: None,
            provider_id: self.provider_id(&response_body),
            stdout: text,
            stderr: String::new(),
            answer: None,
        })
    }

    fn render_body(
        &self,
        request: &ActionRequest,
        context: &TemplateContext,
    ) -> Result<Vec<u8>, ActionError> {
        let Some(template) = &self.body_template else {
            let body = json!({
                "run_id": request.run_id,
                "parameters": request.parameters,
                "transition": request.transition,
            });
            return Ok(body.to_string().into_bytes());
        };
        render(template, context, self.body_escape)
            .map(String::into_bytes)
            .map_err(|reason| self.invalid_request(reason))
    }

    fn provider_id(&self, response_body: &[u8]) -> Option<String> {
        let pointer = self.provider_id_pointer.as_deref()?;
        let document: serde_json::Value = serde_json::from_slice(response_body).ok()?;
        match document.pointer(pointer)? {
            serde_json::Value::String(text) => Some(text.clone()),
            serde_json::Value::Null => None,
            other => Some(other.to_string()),
        }
    }

    /// Maps a transport error; the URL is stripped because it may carry a token.
    fn transport_error(
        &self,
        peer: &str,
        timeout: std::time::Duration,
        error: reqwest::Error,
    ) -> ActionError {
        if error.is_timeout() {
            return ActionError::TimedOut {
                action: self.name.clone(),
                timeout_ms: timeout.as_millis(),
            };
        }
        if error.is_builder() {
            return self.invalid_request(error.without_url().to_string());
        }
        ActionError::Unreachable {
            action: self.name.clone(),
            peer: peer.to_string(),
            reason: error_chain(&error.without_url()),
        }
    }

    fn invalid_request(&self, reason: impl Into<String>) -> ActionError {
        ActionError::InvalidRequest {
            action: self.name.clone(),
            reason: reason.into(),
        }
    }
}

/// Shows the name only: the URL and headers may carry credentials.
impl std::fmt::Debug for Webhook {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Webhook")
            .field("name", &self.name)
            .field("method", &self.method)
            .finish_non_exhaustive()
    }
}

impl Action for Webhook {
    fn name(&self) -> &str {
        &self.name
    }

    fn execute<'a>(&'a self, request: &'a ActionRequest) -> ExecuteFuture<'a> {
        Box::pin(self.call(request))
    }
}

pub use detectviz::signature::body_signature;

/// Scheme, host and port of an http(s) URL: printable, unlike its path and query.
fn peer_of(url: &str) -> Result<String, String> {
    let parsed = reqwest::Url::parse(url).map_err(|error| format!("not a url: {error}"))?;
    if parsed.scheme() != "http" && parsed.scheme() != "https" {
        return Err("the url must be http or https".to_string());
    }
    let Some(host) = parsed.host_str() else {
        return Err("the url has no host".to_string());
    };
    Ok(match parsed.port() {
        Some(port) => format!("{}://{host}:{port}", parsed.scheme()),
        None => format!("{}://{host}", parsed.scheme()),
    })
}

fn parse_header_name(action: &str, header_name: &str) -> Result<HeaderName, ConfigError> {
    HeaderName::from_bytes(header_name.as_bytes()).map_err(|_| {
        ConfigError::invalid_action(
            action,
            format!("`{header_name}` is not a valid header name"),
        )
    })
}

/// An error and its sources, joined with `: `; a source already in the text is skipped.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_message = cause.to_string();
        if !message.contains(&cause_message) {
            message.push_str(": ");
            message.push_str(&cause_message);
        }
        source = cause.source();
    }
    message
}

#[cfg(test)]
#[path = "webhook_tests.rs"]
mod tests;
