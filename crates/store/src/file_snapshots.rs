//! The `file_snapshots` repository: every version of a file saved through the console's file
//! and CSV editors, keyed by (root, path, version). Versions count from 1 per file; the web
//! layer records the file as found on disk before the first change, so any earlier version
//! can be restored.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Store, StoreError};

/// One stored version of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSnapshot {
    /// The configured root's name (`[[files.roots]] name`).
    pub root: String,
    /// The path inside the root, `/`-separated.
    pub path: String,
    pub version: i64,
    pub content: String,
    /// SHA-256 of the content, lowercase hex.
    pub hash: String,
    pub size: i64,
    /// Username (or `token:<name>`) that saved it; `(on disk)` for a file found on disk.
    pub author: String,
    pub message: String,
    pub created_at_ms: i64,
}

/// Repository over the `file_snapshots` table; get it with [`Store::file_snapshots`].
pub struct FileSnapshots<'store> {
    store: &'store Store,
}

/// The columns every query reads, as a literal for `concat!`.
macro_rules! columns {
    () => {
        "root, path, version, content, hash, size, author, message, created_at"
    };
}

impl<'store> FileSnapshots<'store> {
    pub(crate) fn new(store: &'store Store) -> Self {
        FileSnapshots { store }
    }

    /// The version number the next snapshot of the file gets (1 for a new file).
    pub async fn next_version(&self, root: &str, path: &str) -> Result<i64, StoreError> {
        let latest: Option<i64> = sqlx::query_scalar(
            "SELECT version FROM file_snapshots WHERE root = ? AND path = ? \
             ORDER BY version DESC LIMIT 1",
        )
        .bind(root)
        .bind(path)
        .fetch_optional(self.store.pool())
        .await?;
        Ok(latest.unwrap_or(0) + 1)
    }

    /// Stores one version; a version that already exists is `Conflict` (a concurrent save).
    pub async fn insert(&self, snapshot: &FileSnapshot) -> Result<(), StoreError> {
        let statement = concat!(
            "INSERT INTO file_snapshots (",
            columns!(),
            ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        );
        sqlx::query(statement)
            .bind(&snapshot.root)
            .bind(&snapshot.path)
            .bind(snapshot.version)
            .bind(&snapshot.content)
            .bind(&snapshot.hash)
            .bind(snapshot.size)
            .bind(&snapshot.author)
            .bind(&snapshot.message)
            .bind(snapshot.created_at_ms)
            .execute(self.store.pool())
            .await
            .map_err(|error| {
                StoreError::conflict_or(
                    error,
                    format!(
                        "file snapshot {}/{} version {}",
                        snapshot.root, snapshot.path, snapshot.version
                    ),
                )
            })?;
        Ok(())
    }

    /// The newest version of the file, if any was recorded.
    pub async fn latest(&self, root: &str, path: &str) -> Result<Option<FileSnapshot>, StoreError> {
        let statement = concat!(
            "SELECT ",
            columns!(),
            " FROM file_snapshots WHERE root = ? AND path = ? ORDER BY version DESC LIMIT 1"
        );
        let row = sqlx::query(statement)
            .bind(root)
            .bind(path)
            .fetch_optional(self.store.pool())
            .await?;
        row.as_ref().map(snapshot_from_row).transpose()
    }

    /// One version of the file.
    pub async fn get(
        &self,
        root: &str,
        path: &str,
        version: i64,
    ) -> Result<Option<FileSnapshot>, StoreError> {
        let statement = concat!(
            "SELECT ",
            columns!(),
            " FROM file_snapshots WHERE root = ? AND path = ? AND version = ?"
        );
        let row = sqlx::query(statement)
            .bind(root)
            .bind(path)
            .bind(version)
            .fetch_optional(self.store.pool())
            .await?;
        row.as_ref().map(snapshot_from_row).transpose()
    }

    /// Every version of the file, newest first, at most `limit`.
    pub async fn list(
        &self,
        root: &str,
        path: &str,
        limit: u32,
    ) -> Result<Vec<FileSnapshot>, StoreError> {
        let statement = concat!(
            "SELECT ",
            columns!(),
            " FROM file_snapshots WHERE root = ? AND path = ? ORDER BY version DESC LIMIT ?"
        );
        let rows = sqlx::query(statement)
            .bind(root)
            .bind(path)
            .bind(i64::from(limit))
            .fetch_all(self.store.pool())
            .await?;
        rows.iter().map(snapshot_from_row).collect()
    }
}

fn snapshot_from_row(row: &AnyRow) -> Result<FileSnapshot, StoreError> {
    Ok(FileSnapshot {
        root: row.try_get("root")?,
        path: row.try_get("path")?,
        version: row.try_get("version")?,
        content: row.try_get("content")?,
        hash: row.try_get("hash")?,
        size: row.try_get("size")?,
        author: row.try_get("author")?,
        message: row.try_get("message")?,
        created_at_ms: row.try_get("created_at")?,
    })
}
