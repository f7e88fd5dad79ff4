//! The `notifications` repository: the notifier's durable outbox and delivery record.
//!
//! One row per (idempotency key): the notifier creates it with [`Notifications::claim_or_create`]
//! before it acknowledges the alert event, so a redelivered event finds the row and sends
//! nothing new. A row moves `pending → sending → sent`, or `sending → retrying → sending ...`,
//! or ends `failed`. [`Notifications::begin_attempt`] is a conditional update, so only one
//! caller owns a send; rows left in `sending` by a crash are put back with
//! [`Notifications::requeue_sending`] when the notifier starts.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::database_url::Backend;
use crate::{Store, StoreError};

/// Where a notification is in its delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryStatus {
    Pending,
    Sending,
    Sent,
    Failed,
    Retrying,
    /// Not sent: a silence, maintenance window, inhibition or acknowledgement muted every
    /// alert of the row between queueing and sending.
    Suppressed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Sending => "sending",
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Retrying => "retrying",
            DeliveryStatus::Suppressed => "suppressed",
        }
    }

    pub fn parse(text: &str) -> Option<DeliveryStatus> {
        match text {
            "pending" => Some(DeliveryStatus::Pending),
            "sending" => Some(DeliveryStatus::Sending),
            "sent" => Some(DeliveryStatus::Sent),
            "failed" => Some(DeliveryStatus::Failed),
            "retrying" => Some(DeliveryStatus::Retrying),
            "suppressed" => Some(DeliveryStatus::Suppressed),
            _ => None,
        }
    }

    /// `sent`, `failed` and `suppressed` never change again.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            DeliveryStatus::Sent | DeliveryStatus::Failed | DeliveryStatus::Suppressed
        )
    }
}

/// What `Notifications::claim_or_create` needs.
#[derive(Debug, Clone, PartialEq)]
pub struct NewNotification {
    pub idempotency_key: String,
    pub group_key: String,
    pub receiver: String,
    pub channel: String,
    /// The contact a receiver's contact group expanded to; empty for plain receivers.
    pub contact_id: String,
    pub payload: serde_json::Value,
    /// When the row may be sent first (the group's `group_wait`); `None`: now.
    pub next_attempt_at_ms: Option<i64>,
    pub now_ms: i64,
}

/// A stored notification.
#[derive(Debug, Clone, PartialEq)]
pub struct NotificationRecord {
    pub id: i64,
    pub idempotency_key: String,
    pub group_key: String,
    pub receiver: String,
    pub channel: String,
    /// The contact the row is for (a receiver's contact group); empty for plain receivers.
    pub contact_id: String,
    pub status: DeliveryStatus,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub provider_message_id: Option<String>,
    pub payload: serde_json::Value,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    pub next_attempt_at_ms: Option<i64>,
}

/// Which rows [`Notifications::list`] returns, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NotificationFilter {
    pub status: Option<DeliveryStatus>,
    pub receiver: Option<String>,
    /// Rows whose payload names this alert fingerprint.
    pub fingerprint: Option<String>,
    /// Only rows with a smaller id (the previous page's last id).
    pub before_id: Option<i64>,
    pub limit: u32,
}

/// What `claim_or_create` found or made.
#[derive(Debug, Clone, PartialEq)]
pub struct NotificationClaim {
    pub record: NotificationRecord,
    /// True when this call inserted the row; false when the key was already there.
    pub created: bool,
}

impl NotificationClaim {
    /// The key was already delivered: nothing must be sent again.
    pub fn already_sent(&self) -> bool {
        self.record.status == DeliveryStatus::Sent
    }
}

macro_rules! select_notifications {
    ($tail:literal) => {
        concat!(
            "SELECT id, idempotency_key, group_key, receiver, channel, contact_id, status, ",
            "attempts, ",
            "last_error, provider_message_id, payload, created_at, updated_at, next_attempt_at ",
            "FROM notifications ",
            $tail
        )
    };
}

const SQLITE_INSERT_IF_NEW: &str = "INSERT INTO notifications \
     (idempotency_key, group_key, receiver, channel, contact_id, status, attempts, payload, \
     created_at, updated_at, next_attempt_at) \
     VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?) \
     ON CONFLICT (idempotency_key) DO NOTHING";

const MYSQL_INSERT_IF_NEW: &str = "INSERT IGNORE INTO notifications \
     (idempotency_key, group_key, receiver, channel, contact_id, status, attempts, payload, \
     created_at, updated_at, next_attempt_at) \
     VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?)";

/// Repository over the `notifications` table; get it with [`Store::notifications`].
pub struct Notifications<'store> {
    store: &'store Store,
}

impl<'store> Notifications<'store> {
    pub(crate) fn new(store: &'store Store) -> Self {
        Notifications { store }
    }

    /// Inserts a `pending` row for the key unless one exists, and returns the row either way.
    pub async fn claim_or_create(
        &self,
        notification: &NewNotification,
    ) -> Result<NotificationClaim, StoreError> {
        let result = insert_if_new(self.store.backend(), notification)
            .execute(self.store.pool())
            .await?;
        let record = self
            .get_by_key(&notification.idempotency_key)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: format!("notification {:?}", notification.idempotency_key),
            })?;
        Ok(NotificationClaim {
            record,
            created: result.rows_affected() == 1,
        })
    }

    pub async fn get(&self, id: i64) -> Result<Option<NotificationRecord>, StoreError> {
        let row = sqlx::query(select_notifications!("WHERE id = ?"))
            .bind(id)
            .fetch_optional(self.store.pool())
            .await?;
        row.as_ref().map(notification_from_row).transpose()
    }

    pub async fn get_by_key(&self, key: &str) -> Result<Option<NotificationRecord>, StoreError> {
        let row = sqlx::query(select_notifications!("WHERE idempotency_key = ?"))
            .bind(key)
            .fetch_optional(self.store.pool())
            .await?;
        row.as_ref().map(notification_from_row).transpose()
    }

    /// Rows in `status`, oldest first, at most `limit`.
    pub async fn list_by_status(
        &self,
        status: DeliveryStatus,
        limit: u32,
    ) -> Result<Vec<NotificationRecord>, StoreError> {
        let rows = sqlx::query(select_notifications!(
            "WHERE status = ? ORDER BY created_at, id LIMIT ?"
        ))
        .bind(status.as_str())
        .bind(i64::from(limit))
        .fetch_all(self.store.pool())
        .await?;
        rows.iter().map(notification_from_row).collect()
    }

    /// The newest rows, any status, at most `limit` (the delivery-status view).
    pub async fn list_recent(&self, limit: u32) -> Result<Vec<NotificationRecord>, StoreError> {
        let rows = sqlx::query(select_notifications!(
            "ORDER BY created_at DESC, id DESC LIMIT ?"
        ))
        .bind(i64::from(limit))
        .fetch_all(self.store.pool())
        .await?;
        rows.iter().map(notification_from_row).collect()
    }

    /// Rows matching `filter`, newest (highest id) first, at most `filter.limit`.
    pub async fn list(
        &self,
        filter: &NotificationFilter,
    ) -> Result<Vec<NotificationRecord>, StoreError> {
        let mut sql = String::from(select_notifications!("WHERE 1 = 1"));
        if filter.status.is_some() {
            sql.push_str(" AND status = ?");
        }
        if filter.receiver.is_some() {
            sql.push_str(" AND receiver = ?");
        }
        if filter.fingerprint.is_some() {
            sql.push_str(" AND payload LIKE ? ESCAPE '!'");
        }
        if filter.before_id.is_some() {
            sql.push_str(" AND id < ?");
        }
        sql.push_str(" ORDER BY id DESC LIMIT ?");
        // Only the literal fragments above make up the text; every value is bound.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        if let Some(status) = filter.status {
            query = query.bind(status.as_str());
        }
        if let Some(receiver) = &filter.receiver {
            query = query.bind(receiver.clone());
        }
        if let Some(fingerprint) = &filter.fingerprint {
            let escaped = fingerprint
                .replace('!', "!!")
                .replace('%', "!%")
                .replace('_', "!_");
            query = query.bind(format!("%\"fingerprint\":\"{escaped}\"%"));
        }
        if let Some(before_id) = filter.before_id {
            query = query.bind(before_id);
        }
        let rows = query
            .bind(i64::from(filter.limit))
            .fetch_all(self.store.pool())
            .await?;
        rows.iter().map(notification_from_row).collect()
    }

    /// How many rows wait to be sent: `pending`, `retrying` or `sending`.
    pub async fn count_queued(&self) -> Result<u64, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS queued FROM notifications \
             WHERE status IN ('pending', 'retrying', 'sending')",
        )
        .fetch_one(self.store.pool())
        .await?;
        let queued: i64 = row.try_get("queued")?;
        Ok(u64::try_from(queued).unwrap_or(0))
    }

    /// `pending` and `retrying` rows whose `next_attempt_at` has come, oldest first.
    pub async fn list_due(
        &self,
        now_ms: i64,
        limit: u32,
    ) -> Result<Vec<NotificationRecord>, StoreError> {
        let rows = sqlx::query(select_notifications!(
            "WHERE status IN ('pending', 'retrying') \
             AND (next_attempt_at IS NULL OR next_attempt_at <= ?) \
             ORDER BY created_at, id LIMIT ?"
        ))
        .bind(now_ms)
        .bind(i64::from(limit))
        .fetch_all(self.store.pool())
        .await?;
        rows.iter().map(notification_from_row).collect()
    }

    /// Moves a `pending` or `retrying` row to `sending` and counts the attempt. False when
    /// the row is in another status (someone else owns it, or it is done).
    pub async fn begin_attempt(&self, id: i64, now_ms: i64) -> Result<bool, StoreError> {
        let result = sqlx::query(
            "UPDATE notifications SET status = 'sending', attempts = attempts + 1, \
             updated_at = ? WHERE id = ? AND status IN ('pending', 'retrying')",
        )
        .bind(now_ms)
        .bind(id)
        .execute(self.store.pool())
        .await?;
        Ok(result.rows_affected() == 1)
    }

    /// `sending → sent`, with the provider's message id when it gave one.
    pub async fn mark_sent(
        &self,
        id: i64,
        provider_message_id: Option<&str>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE notifications SET status = 'sent', provider_message_id = ?, \
             last_error = NULL, next_attempt_at = NULL, updated_at = ? WHERE id = ?",
        )
        .bind(provider_message_id)
        .bind(now_ms)
        .bind(id)
        .execute(self.store.pool())
        .await?;
        Ok(())
    }

    /// `sending → retrying`: tried again at `next_attempt_at_ms`.
    pub async fn mark_retrying(
        &self,
        id: i64,
        error: &str,
        next_attempt_at_ms: i64,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE notifications SET status = 'retrying', last_error = ?, \
             next_attempt_at = ?, updated_at = ? WHERE id = ?",
        )
        .bind(error)
        .bind(next_attempt_at_ms)
        .bind(now_ms)
        .bind(id)
        .execute(self.store.pool())
        .await?;
        Ok(())
    }

    /// `pending` or `retrying` → `suppressed` (final), with why; false when the row was in
    /// another status.
    pub async fn mark_suppressed(
        &self,
        id: i64,
        reason: &str,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query(
            "UPDATE notifications SET status = 'suppressed', last_error = ?, \
             next_attempt_at = NULL, updated_at = ? \
             WHERE id = ? AND status IN ('pending', 'retrying')",
        )
        .bind(reason)
        .bind(now_ms)
        .bind(id)
        .execute(self.store.pool())
        .await?;
        Ok(result.rows_affected() == 1)
    }

    /// `→ failed`, final.
    pub async fn mark_failed(&self, id: i64, error: &str, now_ms: i64) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE notifications SET status = 'failed', last_error = ?, \
             next_attempt_at = NULL, updated_at = ? WHERE id = ?",
        )
        .bind(error)
        .bind(now_ms)
        .bind(id)
        .execute(self.store.pool())
        .await?;
        Ok(())
    }

    /// Puts rows a crashed notifier left in `sending` back to `retrying`, due at `now_ms`;
    /// returns how many. Call it once at start, before any send.
    pub async fn requeue_sending(&self, now_ms: i64) -> Result<u64, StoreError> {
        let result = sqlx::query(
            "UPDATE notifications SET status = 'retrying', next_attempt_at = ?, updated_at = ? \
             WHERE status = 'sending'",
        )
        .bind(now_ms)
        .bind(now_ms)
        .execute(self.store.pool())
        .await?;
        Ok(result.rows_affected())
    }
}

fn notification_from_row(row: &AnyRow) -> Result<NotificationRecord, StoreError> {
    let id: i64 = row.try_get("id")?;
    let status_text: String = row.try_get("status")?;
    let status = DeliveryStatus::parse(&status_text).ok_or_else(|| StoreError::Decode {
        what: format!("notification {id} status"),
        reason: format!("unknown status {status_text:?}"),
    })?;
    let payload_text: String = row.try_get("payload")?;
    let payload = StoreError::parse_json(&payload_text, || format!("notification {id} payload"))?;
    let attempts: i64 = row.try_get("attempts")?;
    Ok(NotificationRecord {
        id,
        idempotency_key: row.try_get("idempotency_key")?,
        group_key: row.try_get("group_key")?,
        receiver: row.try_get("receiver")?,
        channel: row.try_get("channel")?,
        contact_id: row.try_get("contact_id")?,
        status,
        attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
        last_error: row.try_get("last_error")?,
        provider_message_id: row.try_get("provider_message_id")?,
        payload,
        created_at_ms: row.try_get("created_at")?,
        updated_at_ms: row.try_get("updated_at")?,
        next_attempt_at_ms: row.try_get("next_attempt_at")?,
    })
}

#[path = "notifications_batch.rs"]
mod batch;

pub use batch::DueGroup;

/// The insert of a `pending` row that does nothing when the idempotency key is stored already.
pub(crate) fn insert_if_new(
    backend: Backend,
    notification: &NewNotification,
) -> sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments> {
    let insert = match backend {
        Backend::Sqlite => SQLITE_INSERT_IF_NEW,
        Backend::MySql => MYSQL_INSERT_IF_NEW,
    };
    sqlx::query(insert)
        .bind(&notification.idempotency_key)
        .bind(&notification.group_key)
        .bind(&notification.receiver)
        .bind(&notification.channel)
        .bind(&notification.contact_id)
        .bind(notification.payload.to_string())
        .bind(notification.now_ms)
        .bind(notification.now_ms)
        .bind(notification.next_attempt_at_ms)
}
