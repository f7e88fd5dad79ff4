//! The notifier's errors: building a notification, building a channel, sending through one,
//! and running the pipeline.

use std::time::Duration;

/// A notification could not be built from the given transitions.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NotificationError {
    #[error("a notification needs at least one alert transition")]
    NoTransitions,
}

/// A channel configuration is wrong; found when the channel is built, before any send.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("channel `{channel}`: {reason}")]
    Invalid { channel: String, reason: String },
}

impl ConfigError {
    pub(crate) fn invalid(channel: &str, reason: impl Into<String>) -> Self {
        ConfigError::Invalid {
            channel: channel.to_string(),
            reason: reason.into(),
        }
    }
}

/// One send through a channel failed. Messages name the channel and the peer's host, never a
/// secret (tokens, passwords, webhook URLs with tokens in them).
#[derive(Debug, thiserror::Error)]
pub enum ChannelError {
    /// The peer could not be reached or the connection broke: worth retrying.
    #[error("channel `{channel}`: cannot reach {peer}: {reason}")]
    Unreachable {
        channel: String,
        peer: String,
        reason: String,
    },
    /// The peer did not answer in time: worth retrying.
    #[error("channel `{channel}`: {peer} did not answer in time")]
    TimedOut { channel: String, peer: String },
    /// The HTTP peer answered with an error status.
    #[error("channel `{channel}`: {peer} answered http {status}: {body}")]
    HttpStatus {
        channel: String,
        peer: String,
        status: u16,
        body: String,
        retry_after: Option<Duration>,
    },
    /// The SMTP server refused the message; `permanent` for 5xx replies.
    #[error("channel `{channel}`: smtp server {peer} refused the message: {reason}")]
    SmtpRefused {
        channel: String,
        peer: String,
        reason: String,
        permanent: bool,
    },
    /// The message could not be put together (bad address, body too large to encode, ...).
    #[error("channel `{channel}`: cannot build the message: {reason}")]
    InvalidMessage { channel: String, reason: String },
}

impl ChannelError {
    /// Whether sending the same notification again later may succeed: connection errors,
    /// timeouts, HTTP 408, 429 and 5xx, SMTP 4xx replies. Other HTTP 4xx, SMTP 5xx replies and
    /// malformed messages are final.
    pub fn is_retryable(&self) -> bool {
        match self {
            ChannelError::Unreachable { .. } | ChannelError::TimedOut { .. } => true,
            ChannelError::HttpStatus { status, .. } => is_retryable_http_status(*status),
            ChannelError::SmtpRefused { permanent, .. } => !permanent,
            ChannelError::InvalidMessage { .. } => false,
        }
    }

    /// How long the peer asked us to wait before the next attempt (HTTP `Retry-After`).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ChannelError::HttpStatus { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// The notification pipeline could not start or keep going.
#[derive(Debug, thiserror::Error)]
pub enum NotifierError {
    #[error("invalid notifier configuration: {0}")]
    Config(String),
    #[error(transparent)]
    Channel(#[from] ConfigError),
    #[error("notifier storage: {0}")]
    Store(#[from] store::StoreError),
    #[error("notifier event bus: {0}")]
    Bus(#[from] eventbus::BusError),
}

impl NotifierError {
    /// Whether the same work may succeed later (the store or the bus was away).
    pub fn is_retryable(&self) -> bool {
        match self {
            NotifierError::Store(error) => error.is_unavailable(),
            NotifierError::Bus(error) => error.is_retryable(),
            NotifierError::Config(_) | NotifierError::Channel(_) => false,
        }
    }
}

pub(crate) fn is_retryable_http_status(status: u16) -> bool {
    status == 408 || status == 429 || (500..=599).contains(&status)
}

/// An error and its sources, joined with `: `; a source already part of the text is skipped.
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
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
mod tests {
    use super::*;

    fn http_error(status: u16) -> ChannelError {
        ChannelError::HttpStatus {
            channel: "ops".to_string(),
            peer: "example.org".to_string(),
            status,
            body: String::new(),
            retry_after: None,
        }
    }

    #[test]
    fn http_statuses_are_classified_for_retries() {
        for status in [408, 429, 500, 502, 503, 504] {
            assert!(http_error(status).is_retryable(), "{status}");
        }
        for status in [400, 401, 403, 404, 409, 410, 413] {
            assert!(!http_error(status).is_retryable(), "{status}");
        }
    }

    #[test]
    fn messages_are_lowercase_and_name_the_channel() {
        let message = http_error(503).to_string();
        assert_eq!(message, "channel `ops`: example.org answered http 503: ");
    }
}
