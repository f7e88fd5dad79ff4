//! LLM action: asks the llm service (`services/llm`, `POST /v1/analyze`) to analyse an alert.
//!
//! The request is the service's documented shape, `{"text", "language"}`; `text` holds the
//! alert (name, severity, value, time, labels, annotations), its recent values (the answer of
//! an optional `recent_values_url` GET template, e.g. a Prometheus query) and its recent logs
//! (the last `log_lines` lines of each `log_files` entry), each part capped. The answer's
//! JSON (`summary`, `keywords`, `categories`, `severity`, `sentiment`, `next_steps`,
//! `backend`, `model`, ...) becomes the run's `answer`; its summary and next steps the run's
//! output. One attempt, no retry: a 5xx or an unreachable service is a retryable error for the
//! executor. See `llm.sample.toml`.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::action::output::cap_bytes_to_text;
use crate::action::{Action, ActionOutput, ActionRequest, ExecuteFuture};
use crate::error::{ActionError, ConfigError};
use crate::template::{Escape, check_template, render};

/// The sample configuration, checked by the tests.
pub const SAMPLE_CONFIG: &str = include_str!("llm.sample.toml");

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LlmConfig {
    pub name: String,
    /// Base URL of the llm service.
    #[serde(default = "default_url")]
    pub url: String,
    /// `zh-TW` or `en`.
    #[serde(default = "default_language")]
    pub language: String,
    /// GET URL template whose answer is sent as the recent values.
    #[serde(default)]
    pub recent_values_url: Option<String>,
    /// Files whose last lines are sent as the recent logs.
    #[serde(default)]
    pub log_files: Vec<PathBuf>,
    #[serde(default = "default_log_lines")]
    pub log_lines: usize,
    #[serde(default = "default_max_context_chars")]
    pub max_context_chars: usize,
}

fn default_url() -> String {
    "http://127.0.0.1:8091".to_string()
}

fn default_language() -> String {
    "zh-TW".to_string()
}

fn default_log_lines() -> usize {
    50
}

fn default_max_context_chars() -> usize {
    8_000
}

/// A configured llm service.
#[derive(Debug)]
pub struct Llm {
    config: LlmConfig,
    analyze_url: String,
    client: reqwest::Client,
}

impl Llm {
    pub fn new(config: &LlmConfig) -> Result<Llm, ConfigError> {
        let invalid = |reason: String| ConfigError::invalid_action(&config.name, reason);
        let base = reqwest::Url::parse(&config.url)
            .map_err(|error| invalid(format!("url {:?}: {error}", config.url)))?;
        if base.scheme() != "http" && base.scheme() != "https" {
            return Err(invalid(format!(
                "url {:?} must be http or https",
                config.url
            )));
        }
        if config.language != "zh-TW" && config.language != "en" {
            return Err(invalid(format!(
                "language {:?} must be \"zh-TW\" or \"en\"",
                config.language
            )));
        }
        if let Some(template) = &config.recent_values_url {
            check_template(template)
                .map_err(|reason| invalid(format!("recent_values_url: {reason}")))?;
        }
        let client = reqwest::Client::builder()
            .build()
            .map_err(|error| invalid(format!("http client: {error}")))?;
        Ok(Llm {
            analyze_url: format!("{}/v1/analyze", config.url.trim_end_matches('/')),
            config: config.clone(),
            client,
        })
    }

    async fn analyze(&self, request: &ActionRequest) -> Result<ActionOutput, ActionError> {
        let text = self.analysis_text(request).await?;
        let response = self
            .client
            .post(&self.analyze_url)
            .timeout(request.timeout)
            .header("X-Detectviz-Run-Id", request.run_id.as_str())
            .json(&json!({ "text": text, "language": self.config.language }))
            .send()
            .await
            .map_err(|error| self.transport_error(request, error))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|error| self.transport_error(request, error))?;
        if !status.is_success() {
            return Err(ActionError::HttpStatus {
                action: self.config.name.clone(),
                peer: self.config.url.clone(),
                status: status.as_u16(),
                body: cap_bytes_to_text(&body, 300),
            });
        }
        let answer: serde_json::Value = serde_json::from_slice(&body).map_err(|error| {
            self.invalid(format!(
                "the llm service answered something that is not JSON: {error}"
            ))
        })?;
        let Some(summary) = answer["summary"].as_str() else {
            return Err(self.invalid("the llm service's answer has no `summary`"));
        };
        let mut stdout = summary.to_string();
        for step in answer["next_steps"].as_array().into_iter().flatten() {
            if let Some(step) = step.as_str() {
                stdout.push_str(&format!("\n- {step}"));
            }
        }
        Ok(ActionOutput {
            exit_code: None,
            stdout,
            stderr: String::new(),
            provider_id: answer["backend"].as_str().map(str::to_string),
            answer: Some(answer.to_string()),
        })
    }

    /// The alert, its recent values and its recent logs as one text.
    async fn analysis_text(&self, request: &ActionRequest) -> Result<String, ActionError> {
        let transition = &request.transition;
        let mut text = format!(
            "Alert {} ({}) is {} at severity {}",
            transition.rule_name,
            transition.fingerprint,
            transition.kind.as_str(),
            transition.severity.as_str()
        );
        if let Some(value) = transition.value {
            text.push_str(&format!(", value {value}"));
        }
        text.push_str(&format!(", at {} (unix ms).\nLabels:", transition.at_ms));
        for (name, value) in transition.labels.iter() {
            text.push_str(&format!(" {name}={value}"));
        }
        for (name, value) in &transition.annotations {
            text.push_str(&format!("\n{name}: {value}"));
        }
        if let Some(values) = self.recent_values(request).await? {
            text.push_str("\n\nRecent values:\n");
            text.push_str(&values);
        }
        let logs = self.recent_logs().await;
        if !logs.is_empty() {
            text.push_str("\n\nRecent logs:\n");
            text.push_str(&logs);
        }
        Ok(text)
    }

    async fn recent_values(&self, request: &ActionRequest) -> Result<Option<String>, ActionError> {
        let Some(template) = &self.config.recent_values_url else {
            return Ok(None);
        };
        let url = render(template, &request.template_context(), Escape::Url)
            .map_err(|reason| self.invalid(reason))?;
        let response = self
            .client
            .get(&url)
            .timeout(request.timeout)
            .send()
            .await
            .map_err(|error| self.transport_error(request, error))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|error| self.transport_error(request, error))?;
        if !status.is_success() {
            return Ok(Some(format!(
                "(the recent values source answered http {status})"
            )));
        }
        Ok(Some(cap_bytes_to_text(
            &body,
            self.config.max_context_chars,
        )))
    }

    /// The last lines of each log file; a file that cannot be read says so instead.
    async fn recent_logs(&self) -> String {
        let mut logs = String::new();
        for path in &self.config.log_files {
            let tail = match tokio::fs::read(path).await {
                Ok(bytes) => {
                    last_lines(&bytes, self.config.log_lines, self.config.max_context_chars)
                }
                Err(error) => format!("(cannot read: {error})"),
            };
            logs.push_str(&format!("== {} ==\n{tail}\n", path.display()));
        }
        logs
    }

    fn transport_error(&self, request: &ActionRequest, error: reqwest::Error) -> ActionError {
        if error.is_timeout() {
            return ActionError::TimedOut {
                action: self.config.name.clone(),
                timeout_ms: request.timeout.as_millis(),
            };
        }
        ActionError::Unreachable {
            action: self.config.name.clone(),
            peer: self.config.url.clone(),
            reason: error.without_url().to_string(),
        }
    }

    fn invalid(&self, reason: impl Into<String>) -> ActionError {
        ActionError::InvalidRequest {
            action: self.config.name.clone(),
            reason: reason.into(),
        }
    }
}

/// The last `lines` lines of `bytes`, at most `max_chars` bytes of them (the newest kept).
fn last_lines(bytes: &[u8], lines: usize, max_chars: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    let all: Vec<&str> = text.lines().collect();
    let kept = all[all.len().saturating_sub(lines)..].join("\n");
    if kept.len() <= max_chars {
        return kept;
    }
    let mut start = kept.len() - max_chars;
    while !kept.is_char_boundary(start) {
        start += 1;
    }
    format!("[…]{}", &kept[start..])
}

impl Action for Llm {
    fn name(&self) -> &str {
        &self.config.name
    }

    fn execute<'a>(&'a self, request: &'a ActionRequest) -> ExecuteFuture<'a> {
        Box::pin(self.analyze(request))
    }
}

#[cfg(test)]
#[path = "llm_tests.rs"]
mod tests;
