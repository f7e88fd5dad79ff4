//! The `secrets` repository: sealed (encrypted) versions of named secrets such as the SMTP
//! password or a Slack token. The store never sees a plain value: the web layer seals each
//! version before `insert` and opens it after `latest`. Versions are kept until the secret is
//! deleted, so an earlier value can be inspected (as metadata) after a rotation.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Store, StoreError};

/// One stored version of a secret: ciphertext and nonce (base64) and the sealing key's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedSecret {
    pub name: String,
    /// 1 for the first value, then one more per change.
    pub version: i64,
    pub ciphertext: String,
    pub nonce: String,
    /// Identifies the key that sealed this version (not the key itself).
    pub key_id: String,
    pub created_at_ms: i64,
    /// Username (or `system`) that stored this version.
    pub created_by: String,
}

/// Repository over the `secrets` table; get it with [`Store::secrets`].
pub struct Secrets<'store> {
    store: &'store Store,
}

impl<'store> Secrets<'store> {
    pub(crate) fn new(store: &'store Store) -> Self {
        Secrets { store }
    }

    /// The version number the next value of `name` gets (1 for a new secret).
    pub async fn next_version(&self, name: &str) -> Result<i64, StoreError> {
        let latest: Option<i64> = sqlx::query_scalar(
            "SELECT version FROM secrets WHERE name = ? ORDER BY version DESC LIMIT 1",
        )
        .bind(name)
        .fetch_optional(self.store.pool())
        .await?;
        Ok(latest.unwrap_or(0) + 1)
    }

    /// Stores one version; a version that already exists is `Conflict` (a concurrent change).
    pub async fn insert(&self, secret: &SealedSecret) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO secrets (name, version, ciphertext, nonce, key_id, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)"
        )
        .bind(&secret.name)
        .bind(secret.version)
        .bind(&secret.ciphertext)
        .bind(&secret.nonce)
        .bind(&secret.key_id)
        .bind(secret.created_at_ms)
        .bind(&secret.created_by)
        .execute(self.store.pool())
        .await
        .map_err(|error| {
            StoreError::conflict_or(
                error,
                format!("secret {} version {}", secret.name, secret.version),
            )
        })?;
        Ok(())
    }

    /// The newest version of `name`.
    pub async fn latest(&self, name: &str) -> Result<Option<SealedSecret>, StoreError> {
        let row = sqlx::query(
            "SELECT name, version, ciphertext, nonce, key_id, created_at, created_by FROM secrets WHERE name = ? ORDER BY version DESC LIMIT 1"
        )
        .bind(name)
        .fetch_optional(self.store.pool())
        .await?;
        row.as_ref().map(secret_from_row).transpose()
    }

    /// Every version of `name`, newest first (empty for an unknown name).
    pub async fn versions(&self, name: &str) -> Result<Vec<SealedSecret>, StoreError> {
        let rows = sqlx::query(
            "SELECT name, version, ciphertext, nonce, key_id, created_at, created_by FROM secrets WHERE name = ? ORDER BY version DESC"
        )
        .bind(name)
        .fetch_all(self.store.pool())
        .await?;
        rows.iter().map(secret_from_row).collect()
    }

    /// The newest version of every secret, ordered by name.
    pub async fn list_latest(&self) -> Result<Vec<SealedSecret>, StoreError> {
        let rows = sqlx::query(
            "SELECT s.name, s.version, s.ciphertext, s.nonce, s.key_id, s.created_at, \
             s.created_by FROM secrets s \
             JOIN (SELECT name, MAX(version) AS newest FROM secrets GROUP BY name) m \
             ON s.name = m.name AND s.version = m.newest ORDER BY s.name",
        )
        .fetch_all(self.store.pool())
        .await?;
        rows.iter().map(secret_from_row).collect()
    }

    /// Every stored version of every secret (for re-sealing under a new key).
    pub async fn all_versions(&self) -> Result<Vec<SealedSecret>, StoreError> {
        let rows = sqlx::query(
            "SELECT name, version, ciphertext, nonce, key_id, created_at, created_by FROM secrets ORDER BY name, version"
        )
        .fetch_all(self.store.pool())
        .await?;
        rows.iter().map(secret_from_row).collect()
    }

    /// How many versions are stored in all.
    pub async fn count_versions(&self) -> Result<i64, StoreError> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM secrets")
            .fetch_one(self.store.pool())
            .await?;
        Ok(count)
    }

    /// Replaces the ciphertext of one version (same value, sealed under another key).
    pub async fn reseal(&self, resealed: &SealedSecret) -> Result<(), StoreError> {
        let result = sqlx::query(
            "UPDATE secrets SET ciphertext = ?, nonce = ?, key_id = ? \
             WHERE name = ? AND version = ?",
        )
        .bind(&resealed.ciphertext)
        .bind(&resealed.nonce)
        .bind(&resealed.key_id)
        .bind(&resealed.name)
        .bind(resealed.version)
        .execute(self.store.pool())
        .await?;
        if result.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: format!("secret {} version {}", resealed.name, resealed.version),
            });
        }
        Ok(())
    }

    /// Deletes every version of `name`; `NotFound` when there was none.
    pub async fn delete(&self, name: &str) -> Result<(), StoreError> {
        let result = sqlx::query("DELETE FROM secrets WHERE name = ?")
            .bind(name)
            .execute(self.store.pool())
            .await?;
        if result.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: format!("secret {name}"),
            });
        }
        Ok(())
    }
}

fn secret_from_row(row: &AnyRow) -> Result<SealedSecret, StoreError> {
    Ok(SealedSecret {
        name: row.try_get("name")?,
        version: row.try_get("version")?,
        ciphertext: row.try_get("ciphertext")?,
        nonce: row.try_get("nonce")?,
        key_id: row.try_get("key_id")?,
        created_at_ms: row.try_get("created_at")?,
        created_by: row.try_get("created_by")?,
    })
}
