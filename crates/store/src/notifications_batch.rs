//! The `notifications` repository's batch half: the notifier makes a whole read of the bus
//! durable, and records a whole delivery round, in one transaction each, instead of one
//! commit (and one disk sync) per row.
//!
//! Every batch method has the same meaning as its one-row twin in `notifications.rs`:
//! [`Notifications::claim_or_create_many`] inserts only keys that are new, and
//! [`Notifications::begin_attempts`] only takes rows still `pending` or `retrying`.

use sqlx::Row;

use super::{NewNotification, NotificationRecord, Notifications, notification_from_row};
use crate::StoreError;

/// One (group key, receiver, channel, contact) with rows due, as [`Notifications::list_due_groups`]
/// lists them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DueGroup {
    pub group_key: String,
    pub receiver: String,
    pub channel: String,
    pub contact_id: String,
}

impl Notifications<'_> {
    /// Inserts a `pending` row for each key not stored yet, all in one transaction; returns
    /// how many rows it created (redelivered keys add nothing).
    pub async fn claim_or_create_many(
        &self,
        notifications: &[NewNotification],
    ) -> Result<usize, StoreError> {
        if notifications.is_empty() {
            return Ok(0);
        }
        let backend = self.store.backend();
        let mut transaction = self.store.pool().begin().await?;
        let mut created = 0;
        for notification in notifications {
            let result = super::insert_if_new(backend, notification)
                .execute(&mut *transaction)
                .await?;
            if result.rows_affected() == 1 {
                created += 1;
            }
        }
        transaction.commit().await?;
        Ok(created)
    }

    /// The groups with `pending` or `retrying` rows due at `now_ms`, the group of the oldest
    /// row first, at most `limit`.
    pub async fn list_due_groups(
        &self,
        now_ms: i64,
        limit: u32,
    ) -> Result<Vec<DueGroup>, StoreError> {
        let rows = sqlx::query(
            "SELECT group_key, receiver, channel, contact_id, MIN(id) AS first_id \
             FROM notifications WHERE status IN ('pending', 'retrying') \
             AND (next_attempt_at IS NULL OR next_attempt_at <= ?) \
             GROUP BY group_key, receiver, channel, contact_id ORDER BY first_id LIMIT ?",
        )
        .bind(now_ms)
        .bind(i64::from(limit))
        .fetch_all(self.store.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(DueGroup {
                    group_key: row.try_get("group_key")?,
                    receiver: row.try_get("receiver")?,
                    channel: row.try_get("channel")?,
                    contact_id: row.try_get("contact_id")?,
                })
            })
            .collect()
    }

    /// The group's `pending` and `retrying` rows due at `now_ms`, oldest first, at most
    /// `limit`: what one grouped notification carries.
    pub async fn list_due_in_group(
        &self,
        group: &DueGroup,
        now_ms: i64,
        limit: u32,
    ) -> Result<Vec<NotificationRecord>, StoreError> {
        let rows = sqlx::query(select_notifications!(
            "WHERE group_key = ? AND receiver = ? AND channel = ? AND contact_id = ? \
             AND status IN ('pending', 'retrying') \
             AND (next_attempt_at IS NULL OR next_attempt_at <= ?) \
             ORDER BY id LIMIT ?"
        ))
        .bind(&group.group_key)
        .bind(&group.receiver)
        .bind(&group.channel)
        .bind(&group.contact_id)
        .bind(now_ms)
        .bind(i64::from(limit))
        .fetch_all(self.store.pool())
        .await?;
        rows.iter().map(notification_from_row).collect()
    }

    /// [`Notifications::begin_attempt`] for many rows in one transaction; returns the ids it
    /// moved to `sending` (the others are owned by someone else, or done).
    pub async fn begin_attempts(&self, ids: &[i64], now_ms: i64) -> Result<Vec<i64>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut transaction = self.store.pool().begin().await?;
        let mut owned = Vec::with_capacity(ids.len());
        for &id in ids {
            let result = sqlx::query(
                "UPDATE notifications SET status = 'sending', attempts = attempts + 1, \
                 updated_at = ? WHERE id = ? AND status IN ('pending', 'retrying')",
            )
            .bind(now_ms)
            .bind(id)
            .execute(&mut *transaction)
            .await?;
            if result.rows_affected() == 1 {
                owned.push(id);
            }
        }
        transaction.commit().await?;
        Ok(owned)
    }

    /// `sending → sent` for many rows in one transaction, each with its provider message id.
    pub async fn mark_sent_many(
        &self,
        sent: &[(i64, Option<String>)],
        now_ms: i64,
    ) -> Result<(), StoreError> {
        if sent.is_empty() {
            return Ok(());
        }
        let mut transaction = self.store.pool().begin().await?;
        for (id, provider_message_id) in sent {
            sqlx::query(
                "UPDATE notifications SET status = 'sent', provider_message_id = ?, \
                 last_error = NULL, next_attempt_at = NULL, updated_at = ? WHERE id = ?",
            )
            .bind(provider_message_id.as_deref())
            .bind(now_ms)
            .bind(*id)
            .execute(&mut *transaction)
            .await?;
        }
        transaction.commit().await?;
        Ok(())
    }
}
