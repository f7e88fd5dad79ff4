//! `[analyzer]` settings: where the anomaly service is, how long to wait, how often to retry,
//! when the circuit opens, and how often model rules run. Off unless `enabled = true`.

use serde::{Deserialize, Serialize};

use crate::AnalyzerError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AnalyzerConfig {
    /// Run model rules against the anomaly service.
    pub enabled: bool,
    /// Base URL of services/anomaly.
    pub url: String,
    pub connect_timeout_ms: u64,
    /// Whole-request timeout of one attempt.
    pub request_timeout_ms: u64,
    /// Attempts per call (1 = no retry); only retryable errors are retried.
    pub max_attempts: u32,
    /// First backoff between attempts; doubles each time, with jitter, up to `backoff_max_ms`.
    pub backoff_initial_ms: u64,
    pub backoff_max_ms: u64,
    /// Consecutive failed calls that open the circuit.
    pub breaker_failures: u32,
    /// How long the circuit stays open before one probe call is let through.
    pub breaker_open_ms: u64,
    /// How often model rules are evaluated.
    pub interval_s: u64,
}

impl Default for AnalyzerConfig {
    fn default() -> Self {
        AnalyzerConfig {
            enabled: false,
            url: "http://127.0.0.1:8090".into(),
            connect_timeout_ms: 1_000,
            request_timeout_ms: 10_000,
            max_attempts: 3,
            backoff_initial_ms: 200,
            backoff_max_ms: 2_000,
            breaker_failures: 3,
            breaker_open_ms: 30_000,
            interval_s: 60,
        }
    }
}

impl AnalyzerConfig {
    /// Names the first unusable key.
    pub fn validate(&self) -> Result<(), AnalyzerError> {
        let invalid = |key, reason: &str| AnalyzerError::InvalidConfig {
            key,
            reason: reason.to_string(),
        };
        if !(self.url.starts_with("http://") || self.url.starts_with("https://")) {
            return Err(invalid("url", "must start with http:// or https://"));
        }
        if self.request_timeout_ms == 0 || self.connect_timeout_ms == 0 {
            return Err(invalid(
                "request_timeout_ms",
                "timeouts must be at least 1 ms",
            ));
        }
        if self.max_attempts == 0 {
            return Err(invalid("max_attempts", "must be at least 1"));
        }
        if self.breaker_failures == 0 {
            return Err(invalid("breaker_failures", "must be at least 1"));
        }
        if self.interval_s == 0 {
            return Err(invalid("interval_s", "must be at least 1"));
        }
        Ok(())
    }
}
