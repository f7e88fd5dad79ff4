//! The `silences` repository: label matchers (a JSON document the alert crate (de)serializes)
//! plus a time range in which matching alerts are muted. A silence is active from `starts_at`
//! (inclusive) to `ends_at` (exclusive) unless it was expired early; expiring is final, an
//! upsert of an expired silence keeps it expired.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::database_url::Backend;
use crate::store::now_unix_millis;
use crate::{Store, StoreError};

/// What `Silences::upsert` needs.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSilence {
    /// A uuid chosen by the caller.
    pub id: String,
    /// The matchers as JSON.
    pub matchers: serde_json::Value,
    pub starts_at_ms: i64,
    pub ends_at_ms: i64,
    pub created_by: String,
    pub comment: String,
}

/// A stored silence.
#[derive(Debug, Clone, PartialEq)]
pub struct SilenceRecord {
    pub id: String,
    pub matchers: serde_json::Value,
    pub starts_at_ms: i64,
    pub ends_at_ms: i64,
    pub created_by: String,
    pub comment: String,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    /// When it was expired early with `Silences::expire`.
    pub expired_at_ms: Option<i64>,
}

impl SilenceRecord {
    /// Whether it mutes matching alerts at `now_ms`.
    pub fn is_active(&self, now_ms: i64) -> bool {
        self.expired_at_ms.is_none() && self.starts_at_ms <= now_ms && now_ms < self.ends_at_ms
    }
}

/// `SELECT <every silence column> FROM silences <tail>` as one static SQL string.
macro_rules! select_silences {
    ($tail:literal) => {
        concat!(
            "SELECT id, matchers, starts_at, ends_at, created_by, comment, created_at, ",
            "updated_at, expired_at FROM silences ",
            $tail
        )
    };
}

const SQLITE_UPSERT: &str = "INSERT INTO silences \
     (id, matchers, starts_at, ends_at, created_by, comment, created_at, updated_at) \
     VALUES (?, ?, ?, ?, ?, ?, ?, ?) \
     ON CONFLICT (id) DO UPDATE SET matchers = excluded.matchers, \
     starts_at = excluded.starts_at, ends_at = excluded.ends_at, \
     created_by = excluded.created_by, comment = excluded.comment, \
     updated_at = excluded.updated_at";

const MYSQL_UPSERT: &str = "INSERT INTO silences \
     (id, matchers, starts_at, ends_at, created_by, comment, created_at, updated_at) \
     VALUES (?, ?, ?, ?, ?, ?, ?, ?) \
     ON DUPLICATE KEY UPDATE matchers = VALUES(matchers), \
     starts_at = VALUES(starts_at), ends_at = VALUES(ends_at), \
     created_by = VALUES(created_by), comment = VALUES(comment), \
     updated_at = VALUES(updated_at)";

/// Repository over the `silences` table; get it with [`Store::silences`].
pub struct Silences<'store> {
    store: &'store Store,
}

impl<'store> Silences<'store> {
    pub(crate) fn new(store: &'store Store) -> Self {
        Silences { store }
    }

    /// Inserts the silence, or replaces everything but `created_at` and `expired_at` of the
    /// silence with this id; returns the stored silence.
    pub async fn upsert(&self, silence: &NewSilence) -> Result<SilenceRecord, StoreError> {
        let upsert = match self.store.backend() {
            Backend::Sqlite => SQLITE_UPSERT,
            Backend::MySql => MYSQL_UPSERT,
        };
        let now = now_unix_millis();
        let mut transaction = self.store.pool().begin().await?;
        sqlx::query(upsert)
            .bind(&silence.id)
            .bind(silence.matchers.to_string())
            .bind(silence.starts_at_ms)
            .bind(silence.ends_at_ms)
            .bind(&silence.created_by)
            .bind(&silence.comment)
            .bind(now)
            .bind(now)
            .execute(&mut *transaction)
            .await?;
        let row = sqlx::query(select_silences!("WHERE id = ?"))
            .bind(&silence.id)
            .fetch_one(&mut *transaction)
            .await?;
        transaction.commit().await?;
        silence_from_row(&row)
    }

    pub async fn get(&self, id: &str) -> Result<Option<SilenceRecord>, StoreError> {
        let row = sqlx::query(select_silences!("WHERE id = ?"))
            .bind(id)
            .fetch_optional(self.store.pool())
            .await?;
        row.as_ref().map(silence_from_row).transpose()
    }

    /// The silences muting at `now_ms` (`starts_at <= now < ends_at`, not expired early),
    /// newest first.
    pub async fn list_active(&self, now_ms: i64) -> Result<Vec<SilenceRecord>, StoreError> {
        let rows = sqlx::query(select_silences!(
            "WHERE starts_at <= ? AND ends_at > ? AND expired_at IS NULL \
             ORDER BY created_at DESC, id"
        ))
        .bind(now_ms)
        .bind(now_ms)
        .fetch_all(self.store.pool())
        .await?;
        rows.iter().map(silence_from_row).collect()
    }

    /// Every silence, pending, active and expired, newest first (ties by id).
    pub async fn list(&self) -> Result<Vec<SilenceRecord>, StoreError> {
        let rows = sqlx::query(select_silences!("ORDER BY created_at DESC, id"))
            .fetch_all(self.store.pool())
            .await?;
        rows.iter().map(silence_from_row).collect()
    }

    /// Ends the silence early at `now_ms` (also its `updated_at`); `NotFound` for an unknown id.
    /// Expiring again changes nothing.
    pub async fn expire(&self, id: &str, now_ms: i64) -> Result<(), StoreError> {
        let result = sqlx::query(
            "UPDATE silences \
             SET updated_at = CASE WHEN expired_at IS NULL THEN ? ELSE updated_at END, \
             expired_at = COALESCE(expired_at, ?) WHERE id = ?",
        )
        .bind(now_ms)
        .bind(now_ms)
        .bind(id)
        .execute(self.store.pool())
        .await?;
        if result.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: format!("silence {id:?}"),
            });
        }
        Ok(())
    }
}

fn silence_from_row(row: &AnyRow) -> Result<SilenceRecord, StoreError> {
    let id: String = row.try_get("id")?;
    let matchers_text: String = row.try_get("matchers")?;
    let matchers = StoreError::parse_json(&matchers_text, || format!("silence {id:?} matchers"))?;
    Ok(SilenceRecord {
        id,
        matchers,
        starts_at_ms: row.try_get("starts_at")?,
        ends_at_ms: row.try_get("ends_at")?,
        created_by: row.try_get("created_by")?,
        comment: row.try_get("comment")?,
        created_at_ms: row.try_get("created_at")?,
        updated_at_ms: row.try_get("updated_at")?,
        expired_at_ms: row.try_get("expired_at")?,
    })
}
