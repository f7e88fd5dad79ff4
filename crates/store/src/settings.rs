//! The `settings` repository: runtime settings changed from the console, one JSON value per
//! key, with who changed it last and when.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::database_url::Backend;
use crate::store::now_unix_millis;
use crate::{Store, StoreError};

/// A stored setting.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    pub key: String,
    pub value: serde_json::Value,
    pub updated_at_ms: i64,
    /// Username (or `system`) of the last writer.
    pub updated_by: String,
}

const SQLITE_UPSERT: &str = "INSERT INTO settings (setting_key, value, updated_at, updated_by) \
     VALUES (?, ?, ?, ?) \
     ON CONFLICT (setting_key) DO UPDATE SET value = excluded.value, \
     updated_at = excluded.updated_at, updated_by = excluded.updated_by";

const MYSQL_UPSERT: &str = "INSERT INTO settings (setting_key, value, updated_at, updated_by) \
     VALUES (?, ?, ?, ?) \
     ON DUPLICATE KEY UPDATE value = VALUES(value), \
     updated_at = VALUES(updated_at), updated_by = VALUES(updated_by)";

/// Repository over the `settings` table; get it with [`Store::settings`].
pub struct Settings<'store> {
    store: &'store Store,
}

impl<'store> Settings<'store> {
    pub(crate) fn new(store: &'store Store) -> Self {
        Settings { store }
    }

    pub async fn get(&self, key: &str) -> Result<Option<Setting>, StoreError> {
        let row = sqlx::query(
            "SELECT setting_key, value, updated_at, updated_by FROM settings \
             WHERE setting_key = ?",
        )
        .bind(key)
        .fetch_optional(self.store.pool())
        .await?;
        row.as_ref().map(setting_from_row).transpose()
    }

    /// Inserts or replaces the value of `key`; returns the stored setting.
    pub async fn put(
        &self,
        key: &str,
        value: &serde_json::Value,
        updated_by: &str,
    ) -> Result<Setting, StoreError> {
        let upsert = match self.store.backend() {
            Backend::Sqlite => SQLITE_UPSERT,
            Backend::MySql => MYSQL_UPSERT,
        };
        let now = now_unix_millis();
        sqlx::query(upsert)
            .bind(key)
            .bind(value.to_string())
            .bind(now)
            .bind(updated_by)
            .execute(self.store.pool())
            .await?;
        Ok(Setting {
            key: key.to_string(),
            value: value.clone(),
            updated_at_ms: now,
            updated_by: updated_by.to_string(),
        })
    }

    /// Every setting, ordered by key.
    pub async fn list(&self) -> Result<Vec<Setting>, StoreError> {
        let rows = sqlx::query(
            "SELECT setting_key, value, updated_at, updated_by FROM settings \
             ORDER BY setting_key",
        )
        .fetch_all(self.store.pool())
        .await?;
        rows.iter().map(setting_from_row).collect()
    }

    /// Deletes `key`; `NotFound` when it was not set.
    pub async fn delete(&self, key: &str) -> Result<(), StoreError> {
        let result = sqlx::query("DELETE FROM settings WHERE setting_key = ?")
            .bind(key)
            .execute(self.store.pool())
            .await?;
        if result.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: format!("setting {key:?}"),
            });
        }
        Ok(())
    }
}

fn setting_from_row(row: &AnyRow) -> Result<Setting, StoreError> {
    let key: String = row.try_get("setting_key")?;
    let value_text: String = row.try_get("value")?;
    let value = serde_json::from_str(&value_text).map_err(|error| StoreError::Decode {
        what: format!("setting {key:?}"),
        reason: error.to_string(),
    })?;
    Ok(Setting {
        key,
        value,
        updated_at_ms: row.try_get("updated_at")?,
        updated_by: row.try_get("updated_by")?,
    })
}
