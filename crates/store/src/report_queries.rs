//! Read-only queries the reporter aggregates over a period: alert transitions (with the rule
//! of each alert), acknowledgements, and notification results. The reporter computes counts,
//! MTTA and MTTR from these rows; the SQL stays portable and simple.

use sqlx::Row;

use crate::{Store, StoreError};

/// The most alert transitions one report reads; a period with more is cut (and says so).
pub const MAX_REPORT_EVENTS: u32 = 200_000;

/// One alert transition with the rule of its alert (unknown when the alert row is gone).
#[derive(Debug, Clone, PartialEq)]
pub struct ReportAlertEvent {
    pub fingerprint: String,
    pub rule_id: Option<String>,
    pub rule_name: Option<String>,
    /// `pending`, `firing`, `escalated`, `resolved`, ...
    pub kind: String,
    pub severity: String,
    pub at_ms: i64,
}

/// An acknowledgement given in the period, with when its alert became active.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportAcknowledgement {
    pub fingerprint: String,
    pub rule_name: String,
    pub active_since_ms: i64,
    pub acknowledged_at_ms: i64,
}

/// How many notifications of one channel ended in one status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportNotificationCount {
    pub channel: String,
    pub status: String,
    pub count: i64,
}

/// Queries over one store; get it with [`Store::report_queries`].
pub struct ReportQueries<'store> {
    store: &'store Store,
}

impl<'store> ReportQueries<'store> {
    pub(crate) fn new(store: &'store Store) -> Self {
        ReportQueries { store }
    }

    /// Transitions with `from_ms <= at < to_ms`, oldest first, at most `limit`.
    pub async fn alert_events(
        &self,
        from_ms: i64,
        to_ms: i64,
        limit: u32,
    ) -> Result<Vec<ReportAlertEvent>, StoreError> {
        let limit = i64::from(limit.min(MAX_REPORT_EVENTS));
        let rows = sqlx::query(
            "SELECT e.fingerprint, a.rule_id, a.rule_name, e.kind, e.severity, e.at \
             FROM alert_events e LEFT JOIN alerts a ON a.fingerprint = e.fingerprint \
             WHERE e.at >= ? AND e.at < ? ORDER BY e.at, e.id LIMIT ?",
        )
        .bind(from_ms)
        .bind(to_ms)
        .bind(limit)
        .fetch_all(self.store.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ReportAlertEvent {
                    fingerprint: row.try_get("fingerprint")?,
                    rule_id: row.try_get("rule_id")?,
                    rule_name: row.try_get("rule_name")?,
                    kind: row.try_get("kind")?,
                    severity: row.try_get("severity")?,
                    at_ms: row.try_get("at")?,
                })
            })
            .collect()
    }

    /// Alerts whose (latest) acknowledgement falls in `from_ms <= acknowledged_at < to_ms`.
    pub async fn acknowledgements(
        &self,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<ReportAcknowledgement>, StoreError> {
        let rows = sqlx::query(
            "SELECT fingerprint, rule_name, active_since, acknowledged_at FROM alerts \
             WHERE acknowledged_at >= ? AND acknowledged_at < ? AND active_since IS NOT NULL \
             ORDER BY acknowledged_at, fingerprint",
        )
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(self.store.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ReportAcknowledgement {
                    fingerprint: row.try_get("fingerprint")?,
                    rule_name: row.try_get("rule_name")?,
                    active_since_ms: row.try_get("active_since")?,
                    acknowledged_at_ms: row.try_get("acknowledged_at")?,
                })
            })
            .collect()
    }

    /// Notifications created in `from_ms <= created_at < to_ms`, counted per channel and status.
    pub async fn notification_counts(
        &self,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<ReportNotificationCount>, StoreError> {
        let rows = sqlx::query(
            "SELECT channel, status, COUNT(*) AS n FROM notifications \
             WHERE created_at >= ? AND created_at < ? \
             GROUP BY channel, status ORDER BY channel, status",
        )
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(self.store.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ReportNotificationCount {
                    channel: row.try_get("channel")?,
                    status: row.try_get("status")?,
                    count: row.try_get("n")?,
                })
            })
            .collect()
    }
}
