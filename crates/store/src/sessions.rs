//! The `sessions` repository: console login sessions. Only the SHA-256 hex hash of the cookie
//! value is stored (the caller hashes; the store never sees the cookie), with the user, a CSRF
//! token, a sliding expiry and where the login came from. A user's sessions are deleted with
//! the user (foreign key `ON DELETE CASCADE` on both backends).

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::store::now_unix_millis;
use crate::{Store, StoreError};

/// Longest stored `user_agent`, in characters; longer ones are truncated.
pub const MAX_USER_AGENT_CHARS: usize = 255;

/// Longest stored `source_ip`, in characters; longer ones are truncated.
pub const MAX_SOURCE_IP_CHARS: usize = 64;

/// What `Sessions::create` needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    /// SHA-256 hex of the cookie value, computed by the caller.
    pub session_hash: String,
    pub user_id: i64,
    pub csrf_token: String,
    pub expires_at_ms: i64,
    pub source_ip: Option<String>,
    /// Truncated to [`MAX_USER_AGENT_CHARS`] characters.
    pub user_agent: Option<String>,
}

/// A stored session, without its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user_id: i64,
    pub csrf_token: String,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
    pub last_seen_at_ms: i64,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
}

/// The user a session belongs to, as read with the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionUser {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    /// `viewer`, `operator` or `admin`.
    pub role: String,
    pub active: bool,
}

/// A valid session and its user, from [`Sessions::find_valid`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionWithUser {
    pub session: Session,
    pub user: SessionUser,
}

/// Repository over the `sessions` table; get it with [`Store::sessions`].
pub struct Sessions<'store> {
    store: &'store Store,
}

impl<'store> Sessions<'store> {
    pub(crate) fn new(store: &'store Store) -> Self {
        Sessions { store }
    }

    /// Inserts a session, last seen now. A hash already stored is `StoreError::Conflict`; an
    /// unknown `user_id` is `StoreError::NotFound`.
    pub async fn create(&self, new_session: &NewSession) -> Result<(), StoreError> {
        let now = now_unix_millis();
        let source_ip = new_session
            .source_ip
            .as_deref()
            .map(|source_ip| truncate_chars(source_ip, MAX_SOURCE_IP_CHARS));
        let user_agent = new_session
            .user_agent
            .as_deref()
            .map(|user_agent| truncate_chars(user_agent, MAX_USER_AGENT_CHARS));
        let inserted = sqlx::query(
            "INSERT INTO sessions (session_hash, user_id, csrf_token, created_at, expires_at, \
             last_seen_at, source_ip, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&new_session.session_hash)
        .bind(new_session.user_id)
        .bind(&new_session.csrf_token)
        .bind(now)
        .bind(new_session.expires_at_ms)
        .bind(now)
        .bind(source_ip)
        .bind(user_agent)
        .execute(self.store.pool())
        .await;
        match inserted {
            Ok(_) => Ok(()),
            Err(error) if is_foreign_key_violation(&error) => Err(StoreError::NotFound {
                what: format!("user {}", new_session.user_id),
            }),
            Err(error) => Err(StoreError::conflict_or(
                error,
                format!("session for user {}", new_session.user_id),
            )),
        }
    }

    /// The session with this hash and its user, in one query, if the session has not expired
    /// at `now_ms` (expiring exactly at `now_ms` is expired) and the user is active.
    pub async fn find_valid(
        &self,
        session_hash: &str,
        now_ms: i64,
    ) -> Result<Option<SessionWithUser>, StoreError> {
        let row = sqlx::query(
            "SELECT sessions.user_id AS user_id, sessions.csrf_token AS csrf_token, \
             sessions.created_at AS created_at, sessions.expires_at AS expires_at, \
             sessions.last_seen_at AS last_seen_at, sessions.source_ip AS source_ip, \
             sessions.user_agent AS user_agent, users.username AS username, \
             users.display_name AS display_name, users.role AS role, users.active AS active \
             FROM sessions INNER JOIN users ON users.id = sessions.user_id \
             WHERE sessions.session_hash = ? AND sessions.expires_at > ? AND users.active = 1",
        )
        .bind(session_hash)
        .bind(now_ms)
        .fetch_optional(self.store.pool())
        .await?;
        row.as_ref().map(session_with_user_from_row).transpose()
    }

    /// Sliding expiry: marks the session seen at `now_ms`, expiring at `new_expires_at_ms`.
    /// A missing session (logged out meanwhile) is not an error.
    pub async fn touch(
        &self,
        session_hash: &str,
        now_ms: i64,
        new_expires_at_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE session_hash = ?")
            .bind(now_ms)
            .bind(new_expires_at_ms)
            .bind(session_hash)
            .execute(self.store.pool())
            .await?;
        Ok(())
    }

    /// Logout: deletes the session. A missing session is not an error.
    pub async fn delete(&self, session_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE session_hash = ?")
            .bind(session_hash)
            .execute(self.store.pool())
            .await?;
        Ok(())
    }

    /// Deletes every session of a user (password change, "log out everywhere"); returns how
    /// many there were.
    pub async fn delete_for_user(&self, user_id: i64) -> Result<u64, StoreError> {
        let result = sqlx::query("DELETE FROM sessions WHERE user_id = ?")
            .bind(user_id)
            .execute(self.store.pool())
            .await?;
        Ok(result.rows_affected())
    }

    /// Deletes the sessions expired at `now_ms`; returns how many.
    pub async fn delete_expired(&self, now_ms: i64) -> Result<u64, StoreError> {
        let result = sqlx::query("DELETE FROM sessions WHERE expires_at <= ?")
            .bind(now_ms)
            .execute(self.store.pool())
            .await?;
        Ok(result.rows_affected())
    }
}

fn is_foreign_key_violation(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .is_some_and(|database_error| database_error.is_foreign_key_violation())
}

/// The first `max_chars` characters of `text` (never splits a character).
fn truncate_chars(text: &str, max_chars: usize) -> &str {
    match text.char_indices().nth(max_chars) {
        Some((byte_index, _)) => &text[..byte_index],
        None => text,
    }
}

fn session_with_user_from_row(row: &AnyRow) -> Result<SessionWithUser, StoreError> {
    let user_id: i64 = row.try_get("user_id")?;
    Ok(SessionWithUser {
        session: Session {
            user_id,
            csrf_token: row.try_get("csrf_token")?,
            created_at_ms: row.try_get("created_at")?,
            expires_at_ms: row.try_get("expires_at")?,
            last_seen_at_ms: row.try_get("last_seen_at")?,
            source_ip: row.try_get("source_ip")?,
            user_agent: row.try_get("user_agent")?,
        },
        user: SessionUser {
            id: user_id,
            username: row.try_get("username")?,
            display_name: row.try_get("display_name")?,
            role: row.try_get("role")?,
            active: row.try_get::<i64, _>("active")? != 0,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::truncate_chars;

    #[test]
    fn truncate_chars_counts_characters_not_bytes() {
        assert_eq!(truncate_chars("abc", 5), "abc");
        assert_eq!(truncate_chars("abcdef", 3), "abc");
        assert_eq!(truncate_chars("zoë🚨x", 4), "zoë🚨");
        assert_eq!(truncate_chars("", 0), "");
    }
}
