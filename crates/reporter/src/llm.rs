//! A small typed client for `services/llm`: `POST /v1/summarize` and `POST /v1/analyze`.
//!
//! Every call has a timeout; any failure (refused, timeout, non-2xx, unparseable body) is one
//! [`ReporterError::Llm`] naming the URL and what went wrong. The service answers even when no
//! model backend is reachable, with `backend: "fallback"`; [`LlmAnswer::is_fallback`] says so.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::ReporterError;
use crate::language::Language;

/// Who wrote an answer and whether its input was cut.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct LlmAnswer {
    /// `ollama`, `openai` or `fallback`.
    pub backend: String,
    pub model: Option<String>,
    #[serde(default)]
    pub truncated: bool,
    #[serde(default)]
    pub warnings: Vec<String>,
}

impl LlmAnswer {
    /// True when no model wrote the text (the service's extractive fallback).
    pub fn is_fallback(&self) -> bool {
        self.backend == "fallback"
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Summary {
    pub summary: String,
    #[serde(flatten)]
    pub answer: LlmAnswer,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Analysis {
    pub summary: String,
    pub keywords: Vec<String>,
    pub categories: Vec<String>,
    /// `info`, `warning` or `critical`.
    pub severity: String,
    pub sentiment: String,
    pub next_steps: Vec<String>,
    #[serde(flatten)]
    pub answer: LlmAnswer,
}

#[derive(Serialize)]
struct SummarizeBody<'a> {
    text: &'a str,
    language: &'a str,
    max_sentences: u32,
}

#[derive(Serialize)]
struct AnalyzeBody<'a> {
    text: &'a str,
    language: &'a str,
}

/// Client for one llm service base URL (e.g. `http://127.0.0.1:8091`).
#[derive(Debug, Clone)]
pub struct LlmClient {
    base_url: String,
    http: reqwest::Client,
}

impl LlmClient {
    /// `timeout` bounds each whole request (connect, model time, body).
    pub fn new(base_url: &str, timeout: Duration) -> Result<LlmClient, ReporterError> {
        let base_url = base_url.trim_end_matches('/').to_string();
        if !base_url.starts_with("http://") && !base_url.starts_with("https://") {
            return Err(ReporterError::Config {
                key: "llm_url".into(),
                reason: format!("{base_url:?} is not an http:// or https:// URL"),
            });
        }
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .build()
            .map_err(|error| ReporterError::Llm {
                url: base_url.clone(),
                reason: format!("cannot build the HTTP client: {error}"),
            })?;
        Ok(LlmClient { base_url, http })
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Summarises `text` in at most `max_sentences` sentences.
    pub async fn summarize(
        &self,
        text: &str,
        language: Language,
        max_sentences: u32,
    ) -> Result<Summary, ReporterError> {
        let body = SummarizeBody {
            text,
            language: language.code(),
            max_sentences: max_sentences.clamp(1, 20),
        };
        self.post("/v1/summarize", &body).await
    }

    /// Summary, keywords, categories, suggested severity and next steps for `text`.
    pub async fn analyze(&self, text: &str, language: Language) -> Result<Analysis, ReporterError> {
        let body = AnalyzeBody {
            text,
            language: language.code(),
        };
        self.post("/v1/analyze", &body).await
    }

    async fn post<Body: Serialize, Answer: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: &Body,
    ) -> Result<Answer, ReporterError> {
        let url = format!("{}{path}", self.base_url);
        let failed = |reason: String| ReporterError::Llm {
            url: url.clone(),
            reason,
        };
        let response = self
            .http
            .post(&url)
            .json(body)
            .send()
            .await
            .map_err(|error| failed(describe_send_error(&error)))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|error| failed(format!("reading the answer: {error}")))?;
        if !status.is_success() {
            let excerpt: String = text.chars().take(300).collect();
            return Err(failed(format!("answered {status}: {excerpt}")));
        }
        serde_json::from_str(&text)
            .map_err(|error| failed(format!("answer is not the expected JSON: {error}")))
    }
}

fn describe_send_error(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        return "timed out".to_string();
    }
    if error.is_connect() {
        return format!("cannot connect: {error}");
    }
    error.to_string()
}
