//! The `audit_log` repository: an append-only record of who did what, from where, with which
//! result. Queried newest first with optional actor/action/time filters.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Store, StoreError};

/// The most entries one query returns, whatever limit the caller asks for.
pub const MAX_AUDIT_QUERY_LIMIT: u32 = 10_000;

/// A stored audit entry.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub id: i64,
    /// When it happened, unix milliseconds.
    pub at_ms: i64,
    /// Username, API token name or `system`.
    pub actor: String,
    /// Dotted verb, for example `user.create` or `silence.delete`.
    pub action: String,
    /// What was acted on, for example `user:42`.
    pub target: String,
    pub source_ip: Option<String>,
    /// `ok`, `denied`, `error`, ...
    pub result: String,
    pub detail: serde_json::Value,
}

/// What `AuditLog::append` needs.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAuditEntry {
    pub at_ms: i64,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub source_ip: Option<String>,
    pub result: String,
    pub detail: serde_json::Value,
}

/// Filters for `AuditLog::query`. `since_ms` is inclusive, `until_ms` exclusive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditQuery {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub since_ms: Option<i64>,
    pub until_ms: Option<i64>,
    /// At most this many entries (capped at [`MAX_AUDIT_QUERY_LIMIT`]).
    pub limit: u32,
}

impl Default for AuditQuery {
    fn default() -> Self {
        AuditQuery {
            actor: None,
            action: None,
            since_ms: None,
            until_ms: None,
            limit: 100,
        }
    }
}

/// Repository over the `audit_log` table; get it with [`Store::audit_log`].
pub struct AuditLog<'store> {
    store: &'store Store,
}

impl<'store> AuditLog<'store> {
    pub(crate) fn new(store: &'store Store) -> Self {
        AuditLog { store }
    }

    /// Appends one entry and returns its id.
    pub async fn append(&self, entry: &NewAuditEntry) -> Result<i64, StoreError> {
        let insert = sqlx::query(
            "INSERT INTO audit_log (at, actor, action, target, source_ip, result, detail) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(entry.at_ms)
        .bind(&entry.actor)
        .bind(&entry.action)
        .bind(&entry.target)
        .bind(entry.source_ip.as_deref())
        .bind(&entry.result)
        .bind(entry.detail.to_string());
        let id = self.store.insert_returning_id(insert).await?;
        Ok(id)
    }

    /// Entries matching every given filter, newest first.
    pub async fn query(&self, filters: &AuditQuery) -> Result<Vec<AuditEntry>, StoreError> {
        let limit = i64::from(filters.limit.min(MAX_AUDIT_QUERY_LIMIT));
        let rows = sqlx::query(
            "SELECT id, at, actor, action, target, source_ip, result, detail FROM audit_log \
             WHERE (? IS NULL OR actor = ?) \
               AND (? IS NULL OR action = ?) \
               AND (? IS NULL OR at >= ?) \
               AND (? IS NULL OR at < ?) \
             ORDER BY at DESC, id DESC \
             LIMIT ?",
        )
        .bind(filters.actor.as_deref())
        .bind(filters.actor.as_deref())
        .bind(filters.action.as_deref())
        .bind(filters.action.as_deref())
        .bind(filters.since_ms)
        .bind(filters.since_ms)
        .bind(filters.until_ms)
        .bind(filters.until_ms)
        .bind(limit)
        .fetch_all(self.store.pool())
        .await?;
        rows.iter().map(audit_entry_from_row).collect()
    }
}

fn audit_entry_from_row(row: &AnyRow) -> Result<AuditEntry, StoreError> {
    let id: i64 = row.try_get("id")?;
    let detail_text: String = row.try_get("detail")?;
    let detail = serde_json::from_str(&detail_text).map_err(|error| StoreError::Decode {
        what: format!("audit entry {id} detail"),
        reason: error.to_string(),
    })?;
    Ok(AuditEntry {
        id,
        at_ms: row.try_get("at")?,
        actor: row.try_get("actor")?,
        action: row.try_get("action")?,
        target: row.try_get("target")?,
        source_ip: row.try_get("source_ip")?,
        result: row.try_get("result")?,
        detail,
    })
}
