//! `ReporterError`: the one error type of the reporter crate.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ReporterError {
    /// The llm service could not be reached, timed out, or answered with an error status.
    #[error("llm service {url}: {reason}")]
    Llm { url: String, reason: String },

    /// A `[reporter]` setting is wrong; `key` names it.
    #[error("reporter.{key}: {reason}")]
    Config { key: String, reason: String },

    /// The request for a report is wrong (period, language, format).
    #[error("{0}")]
    InvalidRequest(String),

    #[error(transparent)]
    Store(#[from] store::StoreError),

    /// A report template is missing or does not render.
    #[error("report template {name}: {reason}")]
    Template { name: String, reason: String },

    /// The PDF could not be built (font missing or unusable, ...).
    #[error("pdf: {0}")]
    Pdf(String),

    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl ReporterError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> ReporterError {
        let path = path.into();
        move |source| ReporterError::Io { path, source }
    }
}
