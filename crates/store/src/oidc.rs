//! The OpenID Connect repositories: `oidc_identities` (which users sign in through a provider,
//! by issuer and subject) and `oidc_sessions` (per console session: the last ID token for
//! single logout, the sealed refresh token, the access token's expiry). The caller seals and
//! opens the refresh token; the store only keeps ciphertext. Rows go away with their user or
//! session (foreign keys `ON DELETE CASCADE`).

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::store::now_unix_millis;
use crate::{Store, StoreError};

/// A refresh token as the caller sealed it (all base64 text), or empty strings for none.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SealedRefreshToken {
    pub ciphertext: String,
    pub nonce: String,
    pub key_id: String,
}

/// The OIDC side of one console session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcSession {
    /// SHA-256 hex of the session cookie, as in `sessions`.
    pub session_hash: String,
    pub user_id: i64,
    /// The newest ID token (sent as `id_token_hint` at logout).
    pub id_token: String,
    pub refresh_token: SealedRefreshToken,
    pub access_expires_at_ms: i64,
    pub created_at_ms: i64,
    pub refreshed_at_ms: i64,
}

/// Repository over `oidc_identities` and `oidc_sessions`; get it with [`Store::oidc`].
pub struct Oidc<'store> {
    store: &'store Store,
}

impl<'store> Oidc<'store> {
    pub(crate) fn new(store: &'store Store) -> Self {
        Oidc { store }
    }

    /// The user linked to `subject` at `issuer`, if any.
    pub async fn user_for_subject(
        &self,
        issuer: &str,
        subject: &str,
    ) -> Result<Option<i64>, StoreError> {
        let row =
            sqlx::query("SELECT user_id FROM oidc_identities WHERE issuer = ? AND subject = ?")
                .bind(issuer)
                .bind(subject)
                .fetch_optional(self.store.pool())
                .await?;
        Ok(row.map(|row| row.try_get("user_id")).transpose()?)
    }

    /// Whether the user signs in through a provider.
    pub async fn is_oidc_user(&self, user_id: i64) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT user_id FROM oidc_identities WHERE user_id = ?")
            .bind(user_id)
            .fetch_optional(self.store.pool())
            .await?;
        Ok(row.is_some())
    }

    /// The ids of every user who signs in through a provider.
    pub async fn linked_user_ids(&self) -> Result<Vec<i64>, StoreError> {
        let rows = sqlx::query("SELECT user_id FROM oidc_identities ORDER BY user_id")
            .fetch_all(self.store.pool())
            .await?;
        rows.iter()
            .map(|row| row.try_get("user_id").map_err(StoreError::from))
            .collect()
    }

    /// Links a user to `subject` at `issuer`. A subject already linked is `Conflict`.
    pub async fn link(&self, user_id: i64, issuer: &str, subject: &str) -> Result<(), StoreError> {
        let now = now_unix_millis();
        sqlx::query(
            "INSERT INTO oidc_identities (user_id, issuer, subject, created_at, last_login_at) \
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(user_id)
        .bind(issuer)
        .bind(subject)
        .bind(now)
        .bind(now)
        .execute(self.store.pool())
        .await
        .map_err(|error| StoreError::conflict_or(error, format!("oidc identity {subject}")))?;
        Ok(())
    }

    /// Records a sign-in of a linked user.
    pub async fn touch_identity(&self, user_id: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE oidc_identities SET last_login_at = ? WHERE user_id = ?")
            .bind(now_unix_millis())
            .bind(user_id)
            .execute(self.store.pool())
            .await?;
        Ok(())
    }

    /// Stores the OIDC side of a session that already exists in `sessions`.
    pub async fn create_session(&self, session: &OidcSession) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO oidc_sessions (session_hash, user_id, id_token, \
             refresh_token_ciphertext, refresh_token_nonce, key_id, access_expires_at, \
             created_at, refreshed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&session.session_hash)
        .bind(session.user_id)
        .bind(&session.id_token)
        .bind(&session.refresh_token.ciphertext)
        .bind(&session.refresh_token.nonce)
        .bind(&session.refresh_token.key_id)
        .bind(session.access_expires_at_ms)
        .bind(session.created_at_ms)
        .bind(session.refreshed_at_ms)
        .execute(self.store.pool())
        .await
        .map_err(|error| StoreError::conflict_or(error, "oidc session".to_string()))?;
        Ok(())
    }

    /// The OIDC side of a session, if it has one.
    pub async fn find_session(
        &self,
        session_hash: &str,
    ) -> Result<Option<OidcSession>, StoreError> {
        let row = sqlx::query(
            "SELECT session_hash, user_id, id_token, refresh_token_ciphertext, \
             refresh_token_nonce, key_id, access_expires_at, created_at, refreshed_at \
             FROM oidc_sessions WHERE session_hash = ?",
        )
        .bind(session_hash)
        .fetch_optional(self.store.pool())
        .await?;
        row.as_ref().map(oidc_session_from_row).transpose()
    }

    /// After a refresh: the new tokens and expiry.
    pub async fn update_tokens(
        &self,
        session_hash: &str,
        id_token: &str,
        refresh_token: &SealedRefreshToken,
        access_expires_at_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE oidc_sessions SET id_token = ?, refresh_token_ciphertext = ?, \
             refresh_token_nonce = ?, key_id = ?, access_expires_at = ?, refreshed_at = ? \
             WHERE session_hash = ?",
        )
        .bind(id_token)
        .bind(&refresh_token.ciphertext)
        .bind(&refresh_token.nonce)
        .bind(&refresh_token.key_id)
        .bind(access_expires_at_ms)
        .bind(now_unix_millis())
        .bind(session_hash)
        .execute(self.store.pool())
        .await?;
        Ok(())
    }
}

fn oidc_session_from_row(row: &AnyRow) -> Result<OidcSession, StoreError> {
    Ok(OidcSession {
        session_hash: row.try_get("session_hash")?,
        user_id: row.try_get("user_id")?,
        id_token: row.try_get("id_token")?,
        refresh_token: SealedRefreshToken {
            ciphertext: row.try_get("refresh_token_ciphertext")?,
            nonce: row.try_get("refresh_token_nonce")?,
            key_id: row.try_get("key_id")?,
        },
        access_expires_at_ms: row.try_get("access_expires_at")?,
        created_at_ms: row.try_get("created_at")?,
        refreshed_at_ms: row.try_get("refreshed_at")?,
    })
}
