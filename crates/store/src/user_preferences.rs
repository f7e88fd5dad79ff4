//! The `user_preferences` repository: each console user's language and time zone.

use sqlx::Row;

use crate::database_url::Backend;
use crate::store::now_unix_millis;
use crate::{Store, StoreError};

/// A user's console preferences.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserPreferences {
    pub user_id: i64,
    /// `zh-TW` or `en`.
    pub language: String,
    /// An IANA time zone name such as `Asia/Taipei`.
    pub time_zone: String,
    pub updated_at_ms: i64,
}

const SQLITE_UPSERT: &str = "INSERT INTO user_preferences (user_id, language, time_zone, updated_at) \
     VALUES (?, ?, ?, ?) \
     ON CONFLICT (user_id) DO UPDATE SET language = excluded.language, \
     time_zone = excluded.time_zone, updated_at = excluded.updated_at";

const MYSQL_UPSERT: &str = "INSERT INTO user_preferences (user_id, language, time_zone, updated_at) \
     VALUES (?, ?, ?, ?) \
     ON DUPLICATE KEY UPDATE language = VALUES(language), \
     time_zone = VALUES(time_zone), updated_at = VALUES(updated_at)";

/// Repository over `user_preferences`; get it with [`Store::user_preferences`].
pub struct UserPreferencesRepository<'store> {
    store: &'store Store,
}

impl<'store> UserPreferencesRepository<'store> {
    pub(crate) fn new(store: &'store Store) -> Self {
        UserPreferencesRepository { store }
    }

    /// The stored preferences of `user_id`, or `None` when the user never chose any.
    pub async fn get(&self, user_id: i64) -> Result<Option<UserPreferences>, StoreError> {
        let row = sqlx::query(
            "SELECT user_id, language, time_zone, updated_at FROM user_preferences \
             WHERE user_id = ?",
        )
        .bind(user_id)
        .fetch_optional(self.store.pool())
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        Ok(Some(UserPreferences {
            user_id: row.try_get("user_id")?,
            language: row.try_get("language")?,
            time_zone: row.try_get("time_zone")?,
            updated_at_ms: row.try_get("updated_at")?,
        }))
    }

    /// Stores (or replaces) the preferences of `user_id`.
    pub async fn put(
        &self,
        user_id: i64,
        language: &str,
        time_zone: &str,
    ) -> Result<UserPreferences, StoreError> {
        let upsert = match self.store.backend() {
            Backend::Sqlite => SQLITE_UPSERT,
            Backend::MySql => MYSQL_UPSERT,
        };
        let now_ms = now_unix_millis();
        sqlx::query(upsert)
            .bind(user_id)
            .bind(language)
            .bind(time_zone)
            .bind(now_ms)
            .execute(self.store.pool())
            .await?;
        Ok(UserPreferences {
            user_id,
            language: language.to_string(),
            time_zone: time_zone.to_string(),
            updated_at_ms: now_ms,
        })
    }
}
