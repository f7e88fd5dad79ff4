//! `StoreError`: the one error type of the storage crate.
//!
//! Database errors are classified once, here: lost connections and pool timeouts become
//! [`StoreError::Unavailable`] (the web layer answers 503 and the pool recovers on its own),
//! everything else stays a [`StoreError::Query`].

use sqlx::error::DatabaseError;

/// Errors returned by [`crate::Store`] and its repositories.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL is not a `sqlite:` or `mysql:` URL, or cannot be used.
    #[error("invalid database url {url}: {reason}")]
    InvalidUrl { url: String, reason: String },

    /// The database could not be reached when connecting (start-up). `url` is redacted.
    #[error("cannot reach database {url}: {reason}")]
    Unreachable { url: String, reason: String },

    /// The database was reached before but is not answering now (connection lost, pool timeout).
    #[error("database unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),

    /// A row with the same unique key already exists.
    #[error("{what} already exists")]
    Conflict { what: String },

    /// The row asked for does not exist.
    #[error("{what} not found")]
    NotFound { what: String },

    /// A stored value could not be decoded (for example a JSON column that is not JSON).
    #[error("stored {what} is invalid: {reason}")]
    Decode { what: String, reason: String },

    /// Applying the schema migrations failed.
    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),

    /// Any other database error.
    #[error("database query failed: {0}")]
    Query(#[source] sqlx::Error),
}

impl StoreError {
    /// True when the database is down or unreachable: the caller should answer 503 and retry later.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Unreachable { .. } | StoreError::Unavailable(_) => true,
            StoreError::Migration(sqlx::migrate::MigrateError::Execute(error)) => {
                is_connection_error(error)
            }
            _ => false,
        }
    }

    /// Classifies a database error, turning a unique-key violation into `Conflict { what }`.
    pub(crate) fn conflict_or(error: sqlx::Error, what: impl Into<String>) -> StoreError {
        let is_unique_violation = error
            .as_database_error()
            .is_some_and(|database_error| database_error.is_unique_violation());
        if is_unique_violation {
            return StoreError::Conflict { what: what.into() };
        }
        StoreError::from(error)
    }

    /// Parses a stored JSON column; text that is not the expected JSON is `Decode { what }`.
    pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(
        text: &str,
        what: impl FnOnce() -> String,
    ) -> Result<T, StoreError> {
        serde_json::from_str(text).map_err(|error| StoreError::Decode {
            what: what(),
            reason: error.to_string(),
        })
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        if is_connection_error(&error) {
            return StoreError::Unavailable(error);
        }
        StoreError::Query(error)
    }
}

/// True for errors that mean "the database is not answering", as opposed to a bad query.
pub(crate) fn is_connection_error(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(database_error) => is_connection_database_error(&**database_error),
        _ => false,
    }
}

/// MySQL error numbers meaning the connection or server went away.
const MYSQL_CONNECTION_ERROR_NUMBERS: &[u16] = &[
    1053, // ER_SERVER_SHUTDOWN
    1077, // ER_NORMAL_SHUTDOWN
    1152, // ER_ABORTING_CONNECTION
    1927, // ER_CONNECTION_KILLED (MariaDB)
    2006, // CR_SERVER_GONE_ERROR
    2013, // CR_SERVER_LOST
];

/// SQLite primary result codes meaning the file is busy or cannot be used right now.
const SQLITE_UNAVAILABLE_PRIMARY_CODES: &[i64] = &[
    5,  // SQLITE_BUSY
    6,  // SQLITE_LOCKED
    10, // SQLITE_IOERR
    14, // SQLITE_CANTOPEN
];

fn is_connection_database_error(database_error: &dyn DatabaseError) -> bool {
    if let Some(mysql_error) = database_error.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>()
    {
        return MYSQL_CONNECTION_ERROR_NUMBERS.contains(&mysql_error.number());
    }
    if database_error
        .try_downcast_ref::<sqlx::sqlite::SqliteError>()
        .is_some()
    {
        let Some(code) = database_error.code() else {
            return false;
        };
        let Ok(extended_code) = code.parse::<i64>() else {
            return false;
        };
        return SQLITE_UNAVAILABLE_PRIMARY_CODES.contains(&(extended_code & 0xff));
    }
    false
}
