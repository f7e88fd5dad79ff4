//! The web console: server-rendered HTMX pages in an AdminLTE shell.
//!
//! Pages are modules on disk: `conf/pages.yaml` lists them (order, group, icon, titles,
//! required role) and `web/pages/<name>/` holds each page's `page.yaml` (data source, columns,
//! filters, actions) and its `page.html`. Page files are read on every request; compiled
//! templates and message catalogues are cached and rebuilt when their file's modification
//! time or size changes, so an edit shows on the next reload without a restart.
//! The HTTP handlers live in `routes/console.rs`; this module renders.

pub mod data;
pub mod devices;
pub mod i18n;
pub mod log_view;
pub mod pages;
pub mod render;
pub mod task_runner;
pub mod template_cache;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// `[console]` in the configuration file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsoleConfig {
    /// Templates, pages, message catalogues and static files.
    pub web_dir: PathBuf,
    /// The page list: sidebar order, groups, icons, titles, roles.
    pub pages_file: PathBuf,
    /// `zh-TW` or `en`, until a user chooses.
    pub default_language: String,
    /// IANA time zone name, until a user chooses.
    pub default_time_zone: String,
    /// Base URL of a Grafana dashboard the alert detail links to; empty hides the link.
    pub grafana_url: String,
    /// Telegraf's `telegraf.d`, where a device's deployed file is read for its console page;
    /// empty hides it.
    pub telegraf_directory: PathBuf,
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        ConsoleConfig {
            web_dir: PathBuf::from("web"),
            pages_file: PathBuf::from("conf/pages.yaml"),
            default_language: "zh-TW".into(),
            default_time_zone: "Asia/Taipei".into(),
            grafana_url: String::new(),
            telegraf_directory: PathBuf::new(),
        }
    }
}

/// What can go wrong while rendering a console page.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    #[error("cannot read {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("{path}: {reason}")]
    Parse { path: String, reason: String },
    #[error("template {name}: {reason}")]
    Template { name: String, reason: String },
    #[error("no console page named {0:?}")]
    UnknownPage(String),
    #[error("{0}")]
    BadInput(String),
}

impl From<ConsoleError> for crate::error::AppError {
    fn from(error: ConsoleError) -> Self {
        match &error {
            ConsoleError::UnknownPage(_) => crate::error::AppError::not_found(error.to_string()),
            ConsoleError::BadInput(_) => crate::error::AppError::bad_request(error.to_string()),
            _ => {
                tracing::error!(%error, "console page cannot be rendered");
                crate::error::AppError::internal(error.to_string())
            }
        }
    }
}

/// The languages the console speaks.
pub const LANGUAGES: [&str; 2] = ["zh-TW", "en"];

/// Reads a UTF-8 file, naming it in the error.
pub fn read_text(path: &std::path::Path) -> Result<String, ConsoleError> {
    std::fs::read_to_string(path).map_err(|error| ConsoleError::Read {
        path: path.display().to_string(),
        reason: error.to_string(),
    })
}

/// Reads and parses a YAML file, naming it (and the line) in the error.
pub fn read_yaml<T: serde::de::DeserializeOwned>(
    path: &std::path::Path,
) -> Result<T, ConsoleError> {
    let text = read_text(path)?;
    serde_norway::from_str(&text).map_err(|error| ConsoleError::Parse {
        path: path.display().to_string(),
        reason: error.to_string(),
    })
}
