//! The `users` repository: console accounts with a password hash (hashed by the caller), a
//! role (`viewer`, `operator` or `admin`) and an active flag. Usernames are unique.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::store::now_unix_millis;
use crate::{Store, StoreError};

/// A stored user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    /// Already hashed by the caller (argon2 PHC string); the store never sees a password.
    pub password_hash: String,
    /// `viewer`, `operator` or `admin`.
    pub role: String,
    pub active: bool,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

/// What `Users::create` needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: String,
    pub active: bool,
}

/// `SELECT <every user column> FROM users <tail>` as one static SQL string.
macro_rules! select_users {
    ($tail:literal) => {
        concat!(
            "SELECT id, username, display_name, password_hash, role, active, created_at, ",
            "updated_at FROM users ",
            $tail
        )
    };
}

/// Repository over the `users` table; get it with [`Store::users`].
pub struct Users<'store> {
    store: &'store Store,
}

impl<'store> Users<'store> {
    pub(crate) fn new(store: &'store Store) -> Self {
        Users { store }
    }

    /// Inserts a user. A taken username is `StoreError::Conflict`.
    pub async fn create(&self, new_user: &NewUser) -> Result<User, StoreError> {
        let now = now_unix_millis();
        let insert = sqlx::query(
            "INSERT INTO users \
             (username, display_name, password_hash, role, active, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&new_user.username)
        .bind(&new_user.display_name)
        .bind(&new_user.password_hash)
        .bind(&new_user.role)
        .bind(i64::from(new_user.active))
        .bind(now)
        .bind(now);
        let id = self
            .store
            .insert_returning_id(insert)
            .await
            .map_err(|error| {
                StoreError::conflict_or(error, format!("user {:?}", new_user.username))
            })?;
        Ok(User {
            id,
            username: new_user.username.clone(),
            display_name: new_user.display_name.clone(),
            password_hash: new_user.password_hash.clone(),
            role: new_user.role.clone(),
            active: new_user.active,
            created_at_ms: now,
            updated_at_ms: now,
        })
    }

    pub async fn get_by_id(&self, id: i64) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(select_users!("WHERE id = ?"))
            .bind(id)
            .fetch_optional(self.store.pool())
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    pub async fn get_by_username(&self, username: &str) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(select_users!("WHERE username = ?"))
            .bind(username)
            .fetch_optional(self.store.pool())
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// Every user, ordered by username.
    pub async fn list(&self) -> Result<Vec<User>, StoreError> {
        let rows = sqlx::query(select_users!("ORDER BY username"))
            .fetch_all(self.store.pool())
            .await?;
        rows.iter().map(user_from_row).collect()
    }

    pub async fn update_role(&self, id: i64, role: &str) -> Result<(), StoreError> {
        let result = sqlx::query("UPDATE users SET role = ?, updated_at = ? WHERE id = ?")
            .bind(role)
            .bind(now_unix_millis())
            .bind(id)
            .execute(self.store.pool())
            .await?;
        require_one_row(result.rows_affected(), id)
    }

    pub async fn set_active(&self, id: i64, active: bool) -> Result<(), StoreError> {
        let result = sqlx::query("UPDATE users SET active = ?, updated_at = ? WHERE id = ?")
            .bind(i64::from(active))
            .bind(now_unix_millis())
            .bind(id)
            .execute(self.store.pool())
            .await?;
        require_one_row(result.rows_affected(), id)
    }

    pub async fn update_password_hash(
        &self,
        id: i64,
        password_hash: &str,
    ) -> Result<(), StoreError> {
        let result = sqlx::query("UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?")
            .bind(password_hash)
            .bind(now_unix_millis())
            .bind(id)
            .execute(self.store.pool())
            .await?;
        require_one_row(result.rows_affected(), id)
    }

    /// Deletes a user and, by the foreign-key cascade, their sessions; `NotFound` when there is
    /// no such id.
    pub async fn delete(&self, id: i64) -> Result<(), StoreError> {
        let result = sqlx::query("DELETE FROM users WHERE id = ?")
            .bind(id)
            .execute(self.store.pool())
            .await?;
        require_one_row(result.rows_affected(), id)
    }
}

fn require_one_row(rows_affected: u64, id: i64) -> Result<(), StoreError> {
    if rows_affected == 0 {
        return Err(StoreError::NotFound {
            what: format!("user {id}"),
        });
    }
    Ok(())
}

fn user_from_row(row: &AnyRow) -> Result<User, StoreError> {
    Ok(User {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        display_name: row.try_get("display_name")?,
        password_hash: row.try_get("password_hash")?,
        role: row.try_get("role")?,
        active: row.try_get::<i64, _>("active")? != 0,
        created_at_ms: row.try_get("created_at")?,
        updated_at_ms: row.try_get("updated_at")?,
    })
}
