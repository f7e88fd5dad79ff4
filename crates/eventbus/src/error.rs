//! Errors of the event bus and of the handlers it calls.

use std::fmt;

/// Why a bus operation failed.
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("embedded bus storage: {0}")]
    Sqlite(#[from] sqlx::Error),
    #[error("invalid entry id {0:?}: expected `<milliseconds>-<sequence>`")]
    InvalidEntryId(String),
    #[error("invalid bus configuration: {0}")]
    InvalidConfig(String),
    #[error("unexpected reply from the bus backend: {0}")]
    UnexpectedReply(String),
}

impl BusError {
    /// True when the same call may succeed later (the backend went away, a lock was busy).
    pub fn is_retryable(&self) -> bool {
        match self {
            BusError::Redis(error) => {
                error.is_io_error()
                    || error.is_timeout()
                    || !matches!(error.retry_method(), redis::RetryMethod::NoRetry)
            }
            BusError::Sqlite(error) => match error {
                sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => true,
                sqlx::Error::Database(database_error) => {
                    let message = database_error.message();
                    message.contains("locked") || message.contains("busy")
                }
                _ => false,
            },
            BusError::InvalidEntryId(_)
            | BusError::InvalidConfig(_)
            | BusError::UnexpectedReply(_) => false,
        }
    }
}

/// Why a handler could not process a delivery.
///
/// A retryable error leaves the entry pending, so it is delivered again until
/// `max_deliveries` is reached; a permanent one sends it to the dead-letter stream at once.
/// Any `std::error::Error` converts into a retryable `HandlerError`, so handlers can use `?`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandlerError {
    message: String,
    retryable: bool,
}

impl HandlerError {
    /// A failure worth retrying (a downstream server was away, a timeout).
    pub fn retryable(message: impl fmt::Display) -> HandlerError {
        HandlerError {
            message: message.to_string(),
            retryable: true,
        }
    }

    /// A failure that no retry can fix (the payload is wrong for this handler).
    pub fn permanent(message: impl fmt::Display) -> HandlerError {
        HandlerError {
            message: message.to_string(),
            retryable: false,
        }
    }

    pub fn is_retryable(&self) -> bool {
        self.retryable
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for HandlerError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.message)
    }
}

impl<E: std::error::Error> From<E> for HandlerError {
    fn from(error: E) -> HandlerError {
        HandlerError::retryable(error)
    }
}
