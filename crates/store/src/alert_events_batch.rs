//! The alert history's batch write: the recorder makes a whole read of `dv:alerts` durable
//! (history rows, current states, acknowledgements ended) in one transaction, instead of
//! three commits per transition.
//!
//! Same meaning as `AlertEvents::record`, `Alerts::upsert_state` and
//! `Alerts::clear_acknowledgement` one after the other: a redelivered event adds no history
//! row, and a state older than the stored one is ignored.

use super::{AlertEvents, NewAlertEvent};
use crate::StoreError;
use crate::alerts::{AlertStateRecord, MYSQL_UPSERT_STATE, SQLITE_UPSERT_STATE, to_json_text};
use crate::database_url::Backend;

/// One transition to record: its history row, the alert's state after it, and whether it
/// ends the alert's acknowledgement (it resolved, or its level rose).
#[derive(Debug, Clone, PartialEq)]
pub struct AlertTransitionRecord {
    pub event: NewAlertEvent,
    pub state: AlertStateRecord,
    pub clears_acknowledgement: bool,
}

const SQLITE_INSERT_EVENT_IF_NEW: &str = "INSERT INTO alert_events (event_id, fingerprint, \
     kind, from_state, to_state, severity, previous_severity, value, at, payload) \
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING";

const MYSQL_INSERT_EVENT_IF_NEW: &str = "INSERT IGNORE INTO alert_events (event_id, \
     fingerprint, kind, from_state, to_state, severity, previous_severity, value, at, payload) \
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

impl AlertEvents<'_> {
    /// Records every transition in one transaction, in order; returns how many history rows
    /// were new.
    pub async fn record_transitions(
        &self,
        transitions: &[AlertTransitionRecord],
    ) -> Result<usize, StoreError> {
        if transitions.is_empty() {
            return Ok(0);
        }
        let (insert_event, upsert_state) = match self.store.backend() {
            Backend::Sqlite => (SQLITE_INSERT_EVENT_IF_NEW, SQLITE_UPSERT_STATE),
            Backend::MySql => (MYSQL_INSERT_EVENT_IF_NEW, MYSQL_UPSERT_STATE),
        };
        let mut transaction = self.store.pool().begin().await?;
        let mut recorded = 0;
        for AlertTransitionRecord {
            event,
            state,
            clears_acknowledgement,
        } in transitions
        {
            let inserted = sqlx::query(insert_event)
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
                .execute(&mut *transaction)
                .await?;
            recorded += usize::from(inserted.rows_affected() == 1);
            sqlx::query(upsert_state)
                .bind(&state.fingerprint)
                .bind(&state.rule_id)
                .bind(&state.rule_name)
                .bind(&state.severity)
                .bind(&state.state)
                .bind(to_json_text(&state.labels))
                .bind(to_json_text(&state.annotations))
                .bind(state.value)
                .bind(state.active_since_ms)
                .bind(state.updated_at_ms)
                .bind(state.resolved_at_ms)
                .execute(&mut *transaction)
                .await?;
            if *clears_acknowledgement {
                sqlx::query(
                    "UPDATE alerts SET acknowledged_by = NULL, acknowledged_at = NULL, \
                     ack_comment = NULL, ack_severity = NULL WHERE fingerprint = ?",
                )
                .bind(&state.fingerprint)
                .execute(&mut *transaction)
                .await?;
            }
        }
        transaction.commit().await?;
        Ok(recorded)
    }
}
