//! The `api_tokens` repository: named bearer tokens for the HTTP API, each with scopes, an
//! optional expiry and a revocation time. Only the SHA-256 hex hash of a token is stored (the
//! caller hashes; the store never sees a secret), plus a short prefix (`dvt_abcd`) for lists.
//! Hashes are unique. Tokens are never deleted, only revoked, so the list keeps their history.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::store::now_unix_millis;
use crate::{Store, StoreError};

/// A stored API token, without its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    /// The first characters of the token (`dvt_abcd`), shown in lists to recognise it.
    pub token_prefix: String,
    /// For example `["write", "read"]`, in the order given at creation.
    pub scopes: Vec<String>,
    /// Username of the creator.
    pub created_by: String,
    pub created_at_ms: i64,
    pub last_used_at_ms: Option<i64>,
    /// `None`: never expires.
    pub expires_at_ms: Option<i64>,
    pub revoked_at_ms: Option<i64>,
}

/// What `ApiTokens::create` needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApiToken {
    pub name: String,
    /// SHA-256 hex of the secret token, computed by the caller.
    pub token_hash: String,
    pub token_prefix: String,
    /// Plain scope words (no commas); stored comma-separated.
    pub scopes: Vec<String>,
    pub created_by: String,
    /// `None`: never expires.
    pub expires_at_ms: Option<i64>,
}

/// `SELECT <every token column but the hash> FROM api_tokens <tail>` as one static SQL string.
macro_rules! select_api_tokens {
    ($tail:literal) => {
        concat!(
            "SELECT id, name, token_prefix, scopes, created_by, created_at, last_used_at, ",
            "expires_at, revoked_at FROM api_tokens ",
            $tail
        )
    };
}

/// Repository over the `api_tokens` table; get it with [`Store::api_tokens`].
pub struct ApiTokens<'store> {
    store: &'store Store,
}

impl<'store> ApiTokens<'store> {
    pub(crate) fn new(store: &'store Store) -> Self {
        ApiTokens { store }
    }

    /// Inserts a token. A hash already stored (even on a revoked token) is `StoreError::Conflict`.
    pub async fn create(&self, new_token: &NewApiToken) -> Result<ApiToken, StoreError> {
        let now = now_unix_millis();
        let insert = sqlx::query(
            "INSERT INTO api_tokens \
             (name, token_hash, token_prefix, scopes, created_by, created_at, expires_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&new_token.name)
        .bind(&new_token.token_hash)
        .bind(&new_token.token_prefix)
        .bind(join_scopes(&new_token.scopes))
        .bind(&new_token.created_by)
        .bind(now)
        .bind(new_token.expires_at_ms);
        let id = self
            .store
            .insert_returning_id(insert)
            .await
            .map_err(|error| {
                StoreError::conflict_or(
                    error,
                    format!("api token with prefix {:?}", new_token.token_prefix),
                )
            })?;
        Ok(ApiToken {
            id,
            name: new_token.name.clone(),
            token_prefix: new_token.token_prefix.clone(),
            scopes: split_scopes(&join_scopes(&new_token.scopes)),
            created_by: new_token.created_by.clone(),
            created_at_ms: now,
            last_used_at_ms: None,
            expires_at_ms: new_token.expires_at_ms,
            revoked_at_ms: None,
        })
    }

    /// The token with this hash, if it is neither revoked nor expired at `now_ms` (a token
    /// expiring exactly at `now_ms` is expired).
    pub async fn find_active_by_hash(
        &self,
        token_hash: &str,
        now_ms: i64,
    ) -> Result<Option<ApiToken>, StoreError> {
        let row = sqlx::query(select_api_tokens!(
            "WHERE token_hash = ? AND revoked_at IS NULL \
             AND (expires_at IS NULL OR expires_at > ?)"
        ))
        .bind(token_hash)
        .bind(now_ms)
        .fetch_optional(self.store.pool())
        .await?;
        row.as_ref().map(api_token_from_row).transpose()
    }

    /// Every token, revoked and expired ones included, newest first.
    pub async fn list(&self) -> Result<Vec<ApiToken>, StoreError> {
        let rows = sqlx::query(select_api_tokens!("ORDER BY created_at DESC, id DESC"))
            .fetch_all(self.store.pool())
            .await?;
        rows.iter().map(api_token_from_row).collect()
    }

    /// Revokes a token; `NotFound` for an unknown id. Revoking again keeps the first time.
    pub async fn revoke(&self, id: i64, now_ms: i64) -> Result<(), StoreError> {
        let result =
            sqlx::query("UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?")
                .bind(now_ms)
                .bind(id)
                .execute(self.store.pool())
                .await?;
        require_one_row(result.rows_affected(), id)
    }

    /// Records that the token was used at `now_ms`; `NotFound` for an unknown id.
    pub async fn touch_last_used(&self, id: i64, now_ms: i64) -> Result<(), StoreError> {
        let result = sqlx::query("UPDATE api_tokens SET last_used_at = ? WHERE id = ?")
            .bind(now_ms)
            .bind(id)
            .execute(self.store.pool())
            .await?;
        require_one_row(result.rows_affected(), id)
    }

    /// How many tokens are neither revoked nor expired at `now_ms`.
    pub async fn count_active(&self, now_ms: i64) -> Result<i64, StoreError> {
        let count = sqlx::query_scalar(
            "SELECT COUNT(*) FROM api_tokens \
             WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)",
        )
        .bind(now_ms)
        .fetch_one(self.store.pool())
        .await?;
        Ok(count)
    }
}

fn require_one_row(rows_affected: u64, id: i64) -> Result<(), StoreError> {
    if rows_affected == 0 {
        return Err(StoreError::NotFound {
            what: format!("api token {id}"),
        });
    }
    Ok(())
}

/// `["write", "read"]` → `"write,read"`; blank scopes are dropped, spaces trimmed.
fn join_scopes(scopes: &[String]) -> String {
    scopes
        .iter()
        .map(|scope| scope.trim())
        .filter(|scope| !scope.is_empty())
        .collect::<Vec<_>>()
        .join(",")
}

/// `"write,read"` → `["write", "read"]`; `""` → `[]`.
fn split_scopes(scopes: &str) -> Vec<String> {
    scopes
        .split(',')
        .map(str::trim)
        .filter(|scope| !scope.is_empty())
        .map(str::to_string)
        .collect()
}

fn api_token_from_row(row: &AnyRow) -> Result<ApiToken, StoreError> {
    let scopes: String = row.try_get("scopes")?;
    Ok(ApiToken {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        token_prefix: row.try_get("token_prefix")?,
        scopes: split_scopes(&scopes),
        created_by: row.try_get("created_by")?,
        created_at_ms: row.try_get("created_at")?,
        last_used_at_ms: row.try_get("last_used_at")?,
        expires_at_ms: row.try_get("expires_at")?,
        revoked_at_ms: row.try_get("revoked_at")?,
    })
}

#[cfg(test)]
mod tests {
    use super::{join_scopes, split_scopes};

    #[test]
    fn scopes_round_trip_through_one_comma_separated_column() {
        let scopes = vec!["write".to_string(), " read ".to_string(), String::new()];
        assert_eq!(join_scopes(&scopes), "write,read");
        assert_eq!(split_scopes("write,read"), ["write", "read"]);
        assert_eq!(split_scopes(""), Vec::<String>::new());
    }
}
