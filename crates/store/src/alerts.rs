//! The `alerts` repository: the current state of every alert, one row per fingerprint (16 hex
//! digits of rule + series), written by the alert engine on each transition, plus the
//! acknowledgement someone gave it from the console.
//!
//! `upsert_state` never touches the acknowledgement: that is set by `acknowledge` and removed by
//! `clear_acknowledgement` (the alert crate decides when an acknowledgement is spent). A state
//! older than the stored one (`updated_at_ms` lower) is ignored, so a redelivered transition
//! cannot move an alert back in time.

use std::collections::BTreeMap;

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::database_url::Backend;
use crate::{Store, StoreError};

/// The state columns of one alert, as the alert engine writes them.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertStateRecord {
    /// 16 hex digits.
    pub fingerprint: String,
    pub rule_id: String,
    pub rule_name: String,
    /// `info`, `warning` or `critical`.
    pub severity: String,
    /// The phase: `pending`, `firing`, `resolved`, `inactive`.
    pub state: String,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// The value compared when the state last changed, when there was one.
    pub value: Option<f64>,
    /// Start of the current pending-or-firing episode.
    pub active_since_ms: Option<i64>,
    /// When this state was reached; a later write with a lower value is ignored.
    pub updated_at_ms: i64,
    pub resolved_at_ms: Option<i64>,
}

/// Someone has seen the alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertAcknowledgement {
    pub by: String,
    pub at_ms: i64,
    /// Empty when none was given.
    pub comment: String,
    /// The severity the alert had when it was acknowledged.
    pub severity_at_ack: String,
}

/// A stored alert: its current state and its acknowledgement, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRecord {
    pub current: AlertStateRecord,
    pub acknowledgement: Option<AlertAcknowledgement>,
}

/// Filters for `Alerts::list`; every given filter must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlertFilter {
    pub state: Option<String>,
    pub severity: Option<String>,
    pub rule_id: Option<String>,
    /// Label name/value pairs the alert must all carry.
    pub label_equals: Vec<(String, String)>,
    /// At most this many alerts; `None`: all of them.
    pub limit: Option<u32>,
}

/// `SELECT <every alert column> FROM alerts <tail>` as one static SQL string.
macro_rules! select_alerts {
    ($tail:literal) => {
        concat!(
            "SELECT fingerprint, rule_id, rule_name, severity, state, labels, annotations, ",
            "value, active_since, updated_at, resolved_at, acknowledged_by, acknowledged_at, ",
            "ack_comment, ack_severity FROM alerts ",
            $tail
        )
    };
}

pub(crate) const SQLITE_UPSERT_STATE: &str = "INSERT INTO alerts \
     (fingerprint, rule_id, rule_name, severity, state, labels, annotations, value, \
     active_since, updated_at, resolved_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
     ON CONFLICT (fingerprint) DO UPDATE SET rule_id = excluded.rule_id, \
     rule_name = excluded.rule_name, severity = excluded.severity, state = excluded.state, \
     labels = excluded.labels, annotations = excluded.annotations, value = excluded.value, \
     active_since = excluded.active_since, updated_at = excluded.updated_at, \
     resolved_at = excluded.resolved_at \
     WHERE excluded.updated_at >= alerts.updated_at";

/// MySQL evaluates the assignments left to right, so `updated_at` must come last: every
/// earlier `IF` still compares with the stored time.
pub(crate) const MYSQL_UPSERT_STATE: &str = "INSERT INTO alerts \
     (fingerprint, rule_id, rule_name, severity, state, labels, annotations, value, \
     active_since, updated_at, resolved_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
     ON DUPLICATE KEY UPDATE \
     rule_id = IF(VALUES(updated_at) >= updated_at, VALUES(rule_id), rule_id), \
     rule_name = IF(VALUES(updated_at) >= updated_at, VALUES(rule_name), rule_name), \
     severity = IF(VALUES(updated_at) >= updated_at, VALUES(severity), severity), \
     state = IF(VALUES(updated_at) >= updated_at, VALUES(state), state), \
     labels = IF(VALUES(updated_at) >= updated_at, VALUES(labels), labels), \
     annotations = IF(VALUES(updated_at) >= updated_at, VALUES(annotations), annotations), \
     value = IF(VALUES(updated_at) >= updated_at, VALUES(value), value), \
     active_since = IF(VALUES(updated_at) >= updated_at, VALUES(active_since), active_since), \
     resolved_at = IF(VALUES(updated_at) >= updated_at, VALUES(resolved_at), resolved_at), \
     updated_at = GREATEST(VALUES(updated_at), updated_at)";

/// Repository over the `alerts` table; get it with [`Store::alerts`].
pub struct Alerts<'store> {
    store: &'store Store,
}

impl<'store> Alerts<'store> {
    pub(crate) fn new(store: &'store Store) -> Self {
        Alerts { store }
    }

    /// Inserts the alert's state or replaces it, keeping any acknowledgement. A state with an
    /// `updated_at_ms` lower than the stored one is ignored; an equal one replaces it.
    pub async fn upsert_state(&self, alert: &AlertStateRecord) -> Result<(), StoreError> {
        let upsert = match self.store.backend() {
            Backend::Sqlite => SQLITE_UPSERT_STATE,
            Backend::MySql => MYSQL_UPSERT_STATE,
        };
        sqlx::query(upsert)
            .bind(&alert.fingerprint)
            .bind(&alert.rule_id)
            .bind(&alert.rule_name)
            .bind(&alert.severity)
            .bind(&alert.state)
            .bind(to_json_text(&alert.labels))
            .bind(to_json_text(&alert.annotations))
            .bind(alert.value)
            .bind(alert.active_since_ms)
            .bind(alert.updated_at_ms)
            .bind(alert.resolved_at_ms)
            .execute(self.store.pool())
            .await?;
        Ok(())
    }

    pub async fn get(&self, fingerprint: &str) -> Result<Option<AlertRecord>, StoreError> {
        let row = sqlx::query(select_alerts!("WHERE fingerprint = ?"))
            .bind(fingerprint)
            .fetch_optional(self.store.pool())
            .await?;
        row.as_ref().map(alert_from_row).transpose()
    }

    /// Alerts matching every filter, most recently updated first (ties by fingerprint).
    /// State, severity and rule are filtered in SQL, labels afterwards.
    pub async fn list(&self, filter: &AlertFilter) -> Result<Vec<AlertRecord>, StoreError> {
        let limit_in_sql = match filter.limit {
            Some(limit) if filter.label_equals.is_empty() => i64::from(limit),
            _ => i64::MAX,
        };
        let rows = sqlx::query(select_alerts!(
            "WHERE (? IS NULL OR state = ?) \
               AND (? IS NULL OR severity = ?) \
               AND (? IS NULL OR rule_id = ?) \
             ORDER BY updated_at DESC, fingerprint \
             LIMIT ?"
        ))
        .bind(filter.state.as_deref())
        .bind(filter.state.as_deref())
        .bind(filter.severity.as_deref())
        .bind(filter.severity.as_deref())
        .bind(filter.rule_id.as_deref())
        .bind(filter.rule_id.as_deref())
        .bind(limit_in_sql)
        .fetch_all(self.store.pool())
        .await?;
        let limit = filter.limit.map_or(usize::MAX, |limit| limit as usize);
        let mut alerts = Vec::new();
        for row in &rows {
            if alerts.len() >= limit {
                break;
            }
            let alert = alert_from_row(row)?;
            let labels = &alert.current.labels;
            let labels_match = filter
                .label_equals
                .iter()
                .all(|(name, value)| labels.get(name) == Some(value));
            if labels_match {
                alerts.push(alert);
            }
        }
        Ok(alerts)
    }

    /// One page of alerts for a table with remote pagination: `limit` alerts after `offset`,
    /// most recently updated first, filtered by state and severity, with the total count.
    pub async fn page(
        &self,
        state: Option<&str>,
        severity: Option<&str>,
        offset: u64,
        limit: u32,
    ) -> Result<(Vec<AlertRecord>, u64), StoreError> {
        let total: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM alerts WHERE (? IS NULL OR state = ?) \
             AND (? IS NULL OR severity = ?)",
        )
        .bind(state)
        .bind(state)
        .bind(severity)
        .bind(severity)
        .fetch_one(self.store.pool())
        .await?;
        let rows = sqlx::query(select_alerts!(
            "WHERE (? IS NULL OR state = ?) AND (? IS NULL OR severity = ?) \
             ORDER BY updated_at DESC, fingerprint LIMIT ? OFFSET ?"
        ))
        .bind(state)
        .bind(state)
        .bind(severity)
        .bind(severity)
        .bind(i64::from(limit))
        .bind(i64::try_from(offset).unwrap_or(i64::MAX))
        .fetch_all(self.store.pool())
        .await?;
        let alerts = rows.iter().map(alert_from_row).collect::<Result<_, _>>()?;
        Ok((alerts, u64::try_from(total).unwrap_or(0)))
    }

    /// Records that `by` acknowledged the alert at `at_ms` while it was at `severity_at_ack`,
    /// replacing any earlier acknowledgement; `NotFound` for an unknown fingerprint.
    pub async fn acknowledge(
        &self,
        fingerprint: &str,
        by: &str,
        at_ms: i64,
        comment: &str,
        severity_at_ack: &str,
    ) -> Result<(), StoreError> {
        let result = sqlx::query(
            "UPDATE alerts SET acknowledged_by = ?, acknowledged_at = ?, ack_comment = ?, \
             ack_severity = ? WHERE fingerprint = ?",
        )
        .bind(by)
        .bind(at_ms)
        .bind(comment)
        .bind(severity_at_ack)
        .bind(fingerprint)
        .execute(self.store.pool())
        .await?;
        require_one_row(result.rows_affected(), fingerprint)
    }

    /// Removes the alert's acknowledgement (none is fine); `NotFound` for an unknown
    /// fingerprint.
    pub async fn clear_acknowledgement(&self, fingerprint: &str) -> Result<(), StoreError> {
        let result = sqlx::query(
            "UPDATE alerts SET acknowledged_by = NULL, acknowledged_at = NULL, \
             ack_comment = NULL, ack_severity = NULL WHERE fingerprint = ?",
        )
        .bind(fingerprint)
        .execute(self.store.pool())
        .await?;
        require_one_row(result.rows_affected(), fingerprint)
    }
}

fn require_one_row(rows_affected: u64, fingerprint: &str) -> Result<(), StoreError> {
    if rows_affected == 0 {
        return Err(StoreError::NotFound {
            what: format!("alert {fingerprint:?}"),
        });
    }
    Ok(())
}

pub(crate) fn to_json_text(map: &BTreeMap<String, String>) -> String {
    let object: serde_json::Map<String, serde_json::Value> = map
        .iter()
        .map(|(name, value)| (name.clone(), serde_json::Value::String(value.clone())))
        .collect();
    serde_json::Value::Object(object).to_string()
}

fn alert_from_row(row: &AnyRow) -> Result<AlertRecord, StoreError> {
    let fingerprint: String = row.try_get("fingerprint")?;
    let labels_text: String = row.try_get("labels")?;
    let labels = StoreError::parse_json(&labels_text, || format!("alert {fingerprint:?} labels"))?;
    let annotations_text: String = row.try_get("annotations")?;
    let annotations = StoreError::parse_json(&annotations_text, || {
        format!("alert {fingerprint:?} annotations")
    })?;
    let acknowledgement = acknowledgement_from_row(row, &fingerprint)?;
    Ok(AlertRecord {
        current: AlertStateRecord {
            rule_id: row.try_get("rule_id")?,
            rule_name: row.try_get("rule_name")?,
            severity: row.try_get("severity")?,
            state: row.try_get("state")?,
            labels,
            annotations,
            value: row.try_get("value")?,
            active_since_ms: row.try_get("active_since")?,
            updated_at_ms: row.try_get("updated_at")?,
            resolved_at_ms: row.try_get("resolved_at")?,
            fingerprint,
        },
        acknowledgement,
    })
}

fn acknowledgement_from_row(
    row: &AnyRow,
    fingerprint: &str,
) -> Result<Option<AlertAcknowledgement>, StoreError> {
    let Some(by) = row.try_get::<Option<String>, _>("acknowledged_by")? else {
        return Ok(None);
    };
    let at_ms: Option<i64> = row.try_get("acknowledged_at")?;
    let severity_at_ack: Option<String> = row.try_get("ack_severity")?;
    let (Some(at_ms), Some(severity_at_ack)) = (at_ms, severity_at_ack) else {
        return Err(StoreError::Decode {
            what: format!("alert {fingerprint:?} acknowledgement"),
            reason: "acknowledged_by is set without acknowledged_at and ack_severity".to_string(),
        });
    };
    let comment: Option<String> = row.try_get("ack_comment")?;
    Ok(Some(AlertAcknowledgement {
        by,
        at_ms,
        comment: comment.unwrap_or_default(),
        severity_at_ack,
    }))
}
