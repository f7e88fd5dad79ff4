//! The analyzer's error type: what failed, against which endpoint, and whether a retry may
//! help ([`AnalyzerError::is_retryable`]).

/// Why a call to the anomaly service failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AnalyzerError {
    #[error("anomaly service {endpoint}: no answer within {timeout_ms} ms")]
    Timeout { endpoint: String, timeout_ms: u64 },
    #[error("anomaly service {endpoint}: cannot connect: {reason}")]
    Connect { endpoint: String, reason: String },
    #[error("anomaly service {endpoint}: HTTP {status}: {detail}")]
    Status {
        endpoint: String,
        status: u16,
        detail: String,
    },
    #[error("anomaly service {endpoint}: unreadable answer: {reason}")]
    Decode { endpoint: String, reason: String },
    #[error(
        "anomaly service unavailable (circuit open for another {retry_in_ms} ms after: {last_error})"
    )]
    CircuitOpen {
        retry_in_ms: u64,
        last_error: String,
    },
    #[error("analyzer config: `{key}` {reason}")]
    InvalidConfig { key: &'static str, reason: String },
}

impl AnalyzerError {
    /// Timeouts, refused connections, 5xx, 429 and 408 may pass on a later attempt; 4xx
    /// (a bad request, an unknown model) will not.
    pub fn is_retryable(&self) -> bool {
        match self {
            AnalyzerError::Timeout { .. } | AnalyzerError::Connect { .. } => true,
            AnalyzerError::Status { status, .. } => {
                *status >= 500 || *status == 429 || *status == 408
            }
            AnalyzerError::Decode { .. }
            | AnalyzerError::CircuitOpen { .. }
            | AnalyzerError::InvalidConfig { .. } => false,
        }
    }

    /// Whether the failure says the service is unhealthy (counts against the breaker).
    pub fn is_service_failure(&self) -> bool {
        self.is_retryable()
    }
}
