//! The files the console's file and CSV editors may touch: a configured list of named roots
//! (`[files]`), each a directory or a single file with the kinds it allows.
//!
//! Every access goes through [`confine::FileRoots::resolve`]: the requested path must be a
//! plain relative path (no `..`, no absolute path, no percent-encoded or NUL characters, no
//! hidden names) and, after every symlink is resolved, must still lie inside its root.
//! `validate` parses YAML, TOML, JSON and CSV (with the health-check target schema where the
//! root asks for it) and reports each problem with its line and column, or row and column.
//! `save` writes atomically (`.tmp` + rename) and records every version in the store's
//! `file_snapshots`, the file as found on disk included, so any version can be restored.

pub mod confine;
pub mod csv_check;
pub mod save;
pub mod validate;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// `[files]` in the configuration file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FilesConfig {
    /// Largest file the editors read or save, in bytes.
    pub max_file_bytes: usize,
    /// The editable roots (`[[files.roots]]`).
    pub roots: Vec<FileRootConfig>,
}

impl Default for FilesConfig {
    fn default() -> Self {
        FilesConfig {
            max_file_bytes: 1024 * 1024,
            roots: vec![
                FileRootConfig {
                    name: "conf".into(),
                    path: PathBuf::from("conf"),
                    kinds: vec![
                        FileKind::Yaml,
                        FileKind::Toml,
                        FileKind::Json,
                        FileKind::Text,
                    ],
                    csv_schema: CsvSchema::None,
                },
                FileRootConfig {
                    name: "healthcheck".into(),
                    path: PathBuf::from("conf/healthcheck_targets.csv"),
                    kinds: vec![FileKind::Csv],
                    csv_schema: CsvSchema::HealthcheckTargets,
                },
            ],
        }
    }
}

/// One editable root: a directory (every file below it of an allowed kind) or one file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileRootConfig {
    /// Letters, digits, `-` and `_`; the first segment after `/api/files/`.
    pub name: String,
    /// A directory, or a single file (then its name is the only path in the root).
    pub path: PathBuf,
    /// The kinds of file that may be read and written (by file extension).
    pub kinds: Vec<FileKind>,
    /// The schema CSV files of this root are checked against.
    #[serde(default)]
    pub csv_schema: CsvSchema,
}

/// What a file is, from its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    /// `.yaml`, `.yml`
    Yaml,
    /// `.toml`, `.conf` (Detectviz and Telegraf configuration)
    Toml,
    /// `.json`
    Json,
    /// `.csv`
    Csv,
    /// `.txt`, `.md`
    Text,
}

impl FileKind {
    /// The kind of a file name, by its extension; `None` for files the editors do not open.
    pub fn of_file_name(file_name: &str) -> Option<FileKind> {
        let (_, extension) = file_name.rsplit_once('.')?;
        match extension.to_ascii_lowercase().as_str() {
            "yaml" | "yml" => Some(FileKind::Yaml),
            "toml" | "conf" => Some(FileKind::Toml),
            "json" => Some(FileKind::Json),
            "csv" => Some(FileKind::Csv),
            "txt" | "md" => Some(FileKind::Text),
            _ => None,
        }
    }
}

/// The columns and rules a CSV file must follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CsvSchema {
    /// Any CSV: every row has as many cells as the header.
    #[default]
    None,
    /// Health-check targets: `name,url,method,expected_status,timeout_seconds`.
    HealthcheckTargets,
}

impl FilesConfig {
    /// Checks root names and limits that the types alone cannot check.
    pub fn validate(&self) -> Result<(), String> {
        if self.max_file_bytes == 0 {
            return Err("files.max_file_bytes must be greater than 0".into());
        }
        let mut names = std::collections::BTreeSet::new();
        for root in &self.roots {
            let valid_name = !root.name.is_empty()
                && root.name.len() <= 64
                && root.name.chars().all(|character| {
                    character.is_ascii_alphanumeric() || character == '-' || character == '_'
                });
            if !valid_name {
                return Err(format!(
                    "files.roots: name {:?}: use 1 to 64 letters, digits, `-` and `_`",
                    root.name
                ));
            }
            if !names.insert(root.name.as_str()) {
                return Err(format!("files.roots: name {:?} is used twice", root.name));
            }
            if root.kinds.is_empty() {
                return Err(format!("files.roots {:?}: kinds is empty", root.name));
            }
        }
        Ok(())
    }
}

/// What can go wrong reading, checking or writing an editable file.
#[derive(Debug, thiserror::Error)]
pub enum FilesError {
    #[error("no file root named {0:?}")]
    UnknownRoot(String),
    #[error("path {path:?} is refused: {reason}")]
    Refused { path: String, reason: String },
    #[error("no file {path:?} in root {root:?}")]
    NotFound { root: String, path: String },
    #[error("file {path:?} is {size} bytes; the editors take at most {limit}")]
    TooLarge {
        path: String,
        size: usize,
        limit: usize,
    },
    #[error("file {path:?} is not UTF-8 text")]
    NotText { path: String },
    #[error("file {path:?} changed since it was read (hash {expected}, now {found}): reload it")]
    Changed {
        path: String,
        expected: String,
        found: String,
    },
    #[error("cannot {action} {path}: {reason}")]
    Io {
        action: &'static str,
        path: String,
        reason: String,
    },
    #[error(transparent)]
    Store(#[from] store::StoreError),
}

impl From<FilesError> for crate::error::AppError {
    fn from(error: FilesError) -> Self {
        use crate::error::AppError;
        use axum::http::StatusCode;
        match error {
            FilesError::UnknownRoot(_) | FilesError::NotFound { .. } => {
                AppError::not_found(error.to_string())
            }
            FilesError::Refused { .. } => AppError::bad_request(error.to_string()),
            FilesError::TooLarge { .. } => AppError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                error.to_string(),
            ),
            FilesError::NotText { .. } => AppError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "not_text",
                error.to_string(),
            ),
            FilesError::Changed { .. } => {
                AppError::new(StatusCode::CONFLICT, "conflict", error.to_string())
            }
            FilesError::Io { .. } => {
                tracing::error!(%error, "file editor");
                AppError::internal(error.to_string())
            }
            FilesError::Store(store_error) => AppError::from(store_error),
        }
    }
}

/// SHA-256 of `content`, lowercase hex.
pub fn content_hash(content: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(content)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}
