//! The `alert_events` repository: the history of alert transitions, one row per transition
//! read from the event bus, with the whole transition as JSON plus the columns queried on.
//!
//! Each row carries the bus envelope id as `event_id`, which is unique: recording a redelivered
//! event again is a no-op, so the history recorder can be at-least-once.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Store, StoreError};

/// The most events one query returns, whatever limit the caller asks for.
pub const MAX_ALERT_EVENTS_LIMIT: u32 = 10_000;

/// What `AlertEvents::record` needs: one alert transition.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAlertEvent {
    /// The bus envelope id; unique across the history.
    pub event_id: String,
    pub fingerprint: String,
    /// `pending`, `firing`, `escalated`, `resolved`, ...
    pub kind: String,
    pub from_state: String,
    pub to_state: String,
    pub severity: String,
    pub previous_severity: Option<String>,
    pub value: Option<f64>,
    /// When the transition happened, unix milliseconds.
    pub at_ms: i64,
    /// The whole transition as JSON.
    pub payload: serde_json::Value,
}

/// A stored alert transition.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertEvent {
    pub id: i64,
    pub event_id: String,
    pub fingerprint: String,
    pub kind: String,
    pub from_state: String,
    pub to_state: String,
    pub severity: String,
    pub previous_severity: Option<String>,
    pub value: Option<f64>,
    pub at_ms: i64,
    pub payload: serde_json::Value,
}

/// `SELECT <every event column> FROM alert_events <tail>` as one static SQL string.
macro_rules! select_alert_events {
    ($tail:literal) => {
        concat!(
            "SELECT id, event_id, fingerprint, kind, from_state, to_state, severity, ",
            "previous_severity, value, at, payload FROM alert_events ",
            $tail
        )
    };
}

/// Repository over the `alert_events` table; get it with [`Store::alert_events`].
pub struct AlertEvents<'store> {
    store: &'store Store,
}

impl<'store> AlertEvents<'store> {
    pub(crate) fn new(store: &'store Store) -> Self {
        AlertEvents { store }
    }

    /// Appends the event: `true` when stored, `false` when an event with this `event_id` is
    /// already there (a redelivery; nothing changes).
    pub async fn record(&self, event: &NewAlertEvent) -> Result<bool, StoreError> {
        let inserted = sqlx::query(
            "INSERT INTO alert_events (event_id, fingerprint, kind, from_state, to_state, \
             severity, previous_severity, value, at, payload) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&event.event_id)
        .bind(&event.fingerprint)
        .bind(&event.kind)
        .bind(&event.from_state)
        .bind(&event.to_state)
        .bind(&event.severity)
        .bind(event.previous_severity.as_deref())
        .bind(event.value)
        .bind(event.at_ms)
        .bind(event.payload.to_string())
        .execute(self.store.pool())
        .await;
        match inserted {
            Ok(_) => Ok(true),
            Err(error) => match StoreError::conflict_or(error, "alert event") {
                StoreError::Conflict { .. } => Ok(false),
                other => Err(other),
            },
        }
    }

    /// The latest `limit` events of one alert, oldest first (ties by insertion order).
    pub async fn history(
        &self,
        fingerprint: &str,
        limit: u32,
    ) -> Result<Vec<AlertEvent>, StoreError> {
        let limit = i64::from(limit.min(MAX_ALERT_EVENTS_LIMIT));
        let rows = sqlx::query(select_alert_events!(
            "WHERE fingerprint = ? ORDER BY at DESC, id DESC LIMIT ?"
        ))
        .bind(fingerprint)
        .bind(limit)
        .fetch_all(self.store.pool())
        .await?;
        let mut events = rows
            .iter()
            .map(alert_event_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        events.reverse();
        Ok(events)
    }

    /// At most `limit` events of every alert at or after `since_ms`, newest first.
    pub async fn recent(&self, limit: u32, since_ms: i64) -> Result<Vec<AlertEvent>, StoreError> {
        let limit = i64::from(limit.min(MAX_ALERT_EVENTS_LIMIT));
        let rows = sqlx::query(select_alert_events!(
            "WHERE at >= ? ORDER BY at DESC, id DESC LIMIT ?"
        ))
        .bind(since_ms)
        .bind(limit)
        .fetch_all(self.store.pool())
        .await?;
        rows.iter().map(alert_event_from_row).collect()
    }
}

fn alert_event_from_row(row: &AnyRow) -> Result<AlertEvent, StoreError> {
    let id: i64 = row.try_get("id")?;
    let payload_text: String = row.try_get("payload")?;
    let payload = StoreError::parse_json(&payload_text, || format!("alert event {id} payload"))?;
    Ok(AlertEvent {
        id,
        event_id: row.try_get("event_id")?,
        fingerprint: row.try_get("fingerprint")?,
        kind: row.try_get("kind")?,
        from_state: row.try_get("from_state")?,
        to_state: row.try_get("to_state")?,
        severity: row.try_get("severity")?,
        previous_severity: row.try_get("previous_severity")?,
        value: row.try_get("value")?,
        at_ms: row.try_get("at")?,
        payload,
    })
}

#[path = "alert_events_batch.rs"]
mod batch;

pub use batch::AlertTransitionRecord;
