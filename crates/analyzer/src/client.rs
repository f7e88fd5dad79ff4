//! One typed HTTP attempt per call to services/anomaly, with a timeout and the caller's
//! `traceparent`. No retries, no sleeps: [`crate::caller::Analyzer`] does those.

use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::api::{
    ConfigUpdate, DetectRequest, DetectResponse, ModelInfo, ServiceHealth, TrainRequest,
    TrainResponse,
};
use crate::{AnalyzerConfig, AnalyzerError, TraceContext};

/// The anomaly service at one base URL.
#[derive(Debug, Clone)]
pub struct AnalyzerClient {
    http: reqwest::Client,
    base_url: String,
    request_timeout_ms: u64,
}

impl AnalyzerClient {
    pub fn new(config: &AnalyzerConfig) -> Result<AnalyzerClient, AnalyzerError> {
        config.validate()?;
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_millis(config.connect_timeout_ms))
            .timeout(Duration::from_millis(config.request_timeout_ms))
            .build()
            .map_err(|error| AnalyzerError::InvalidConfig {
                key: "url",
                reason: error.to_string(),
            })?;
        Ok(AnalyzerClient {
            http,
            base_url: config.url.trim_end_matches('/').to_string(),
            request_timeout_ms: config.request_timeout_ms,
        })
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// `GET /healthz`.
    pub async fn health(&self, trace: &TraceContext) -> Result<ServiceHealth, AnalyzerError> {
        self.send::<(), _>(http::Method::GET, "/healthz", None, trace)
            .await
    }

    /// `POST /v1/detect`.
    pub async fn detect(
        &self,
        request: &DetectRequest,
        trace: &TraceContext,
    ) -> Result<DetectResponse, AnalyzerError> {
        self.send(http::Method::POST, "/v1/detect", Some(request), trace)
            .await
    }

    /// `POST /v1/train`.
    pub async fn train(
        &self,
        request: &TrainRequest,
        trace: &TraceContext,
    ) -> Result<TrainResponse, AnalyzerError> {
        self.send(http::Method::POST, "/v1/train", Some(request), trace)
            .await
    }

    /// `GET /v1/models/{id}`.
    pub async fn model_info(
        &self,
        model_id: &str,
        trace: &TraceContext,
    ) -> Result<ModelInfo, AnalyzerError> {
        let path = format!("/v1/models/{}", path_segment(model_id));
        self.send::<(), _>(http::Method::GET, &path, None, trace)
            .await
    }

    /// `PUT /v1/models/{id}/config`.
    pub async fn update_config(
        &self,
        model_id: &str,
        update: &ConfigUpdate,
        trace: &TraceContext,
    ) -> Result<ModelInfo, AnalyzerError> {
        let path = format!("/v1/models/{}/config", path_segment(model_id));
        self.send(http::Method::PUT, &path, Some(update), trace)
            .await
    }

    async fn send<Body: Serialize, Answer: DeserializeOwned>(
        &self,
        method: http::Method,
        path: &str,
        body: Option<&Body>,
        trace: &TraceContext,
    ) -> Result<Answer, AnalyzerError> {
        let endpoint = format!("{method} {path}");
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base_url))
            .header("traceparent", trace.as_str());
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request
            .send()
            .await
            .map_err(|error| self.transport_error(&endpoint, &error))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|error| self.transport_error(&endpoint, &error))?;
        if !status.is_success() {
            return Err(AnalyzerError::Status {
                endpoint,
                status: status.as_u16(),
                detail: error_detail(&text),
            });
        }
        serde_json::from_str(&text).map_err(|error| AnalyzerError::Decode {
            endpoint,
            reason: error.to_string(),
        })
    }

    fn transport_error(&self, endpoint: &str, error: &reqwest::Error) -> AnalyzerError {
        if error.is_timeout() {
            return AnalyzerError::Timeout {
                endpoint: endpoint.to_string(),
                timeout_ms: self.request_timeout_ms,
            };
        }
        AnalyzerError::Connect {
            endpoint: endpoint.to_string(),
            reason: full_reason(error),
        }
    }
}

/// The service's `detail` (a string, or FastAPI's list of validation errors), else the body.
fn error_detail(body: &str) -> String {
    let detail = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|value| value.get("detail").cloned());
    match detail {
        Some(serde_json::Value::String(text)) => text,
        Some(other) => other.to_string(),
        None => body.chars().take(500).collect(),
    }
}

/// The error with its sources ("error sending request: connection refused").
fn full_reason(error: &dyn std::error::Error) -> String {
    let mut reason = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        reason.push_str(": ");
        reason.push_str(&cause.to_string());
        source = cause.source();
    }
    reason
}

/// Model ids are `[A-Za-z0-9_.-]`; anything else is percent-encoded so it stays one segment.
fn path_segment(model_id: &str) -> String {
    model_id
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-' => {
                (byte as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}
