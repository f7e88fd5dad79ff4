//! The `alert_analyses` repository: what an automation `llm` run answered about an alert,
//! kept on the alert (by fingerprint) as well as on the run, so the alert's detail shows it.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Store, StoreError};

/// One llm answer about an alert.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertAnalysis {
    /// The automation run that asked.
    pub run_id: String,
    pub fingerprint: String,
    /// The automation rule of the run.
    pub rule_id: String,
    /// The llm service's answer (JSON text as it came).
    pub answer: String,
    pub created_at_ms: i64,
}

/// Repository over `alert_analyses`; get it with [`Store::alert_analyses`].
pub struct AlertAnalyses<'store> {
    store: &'store Store,
}

impl<'store> AlertAnalyses<'store> {
    pub(crate) fn new(store: &'store Store) -> Self {
        AlertAnalyses { store }
    }

    /// Keeps the answer of a run; a second call for the same run changes nothing.
    pub async fn insert(&self, analysis: &AlertAnalysis) -> Result<(), StoreError> {
        let outcome = sqlx::query(
            "INSERT INTO alert_analyses (run_id, fingerprint, rule_id, answer, created_at) \
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&analysis.run_id)
        .bind(&analysis.fingerprint)
        .bind(&analysis.rule_id)
        .bind(&analysis.answer)
        .bind(analysis.created_at_ms)
        .execute(self.store.pool())
        .await;
        match outcome {
            Ok(_) => Ok(()),
            Err(error) => match StoreError::conflict_or(error, "alert analysis") {
                StoreError::Conflict { .. } => Ok(()),
                other => Err(other),
            },
        }
    }

    /// The answers about `fingerprint`, newest first, at most `limit`.
    pub async fn for_alert(
        &self,
        fingerprint: &str,
        limit: u32,
    ) -> Result<Vec<AlertAnalysis>, StoreError> {
        let rows = sqlx::query(
            "SELECT run_id, fingerprint, rule_id, answer, created_at FROM alert_analyses \
             WHERE fingerprint = ? ORDER BY created_at DESC, run_id DESC LIMIT ?",
        )
        .bind(fingerprint)
        .bind(i64::from(limit.clamp(1, 1_000)))
        .fetch_all(self.store.pool())
        .await?;
        rows.iter().map(analysis_from_row).collect()
    }
}

fn analysis_from_row(row: &AnyRow) -> Result<AlertAnalysis, StoreError> {
    Ok(AlertAnalysis {
        run_id: row.try_get("run_id")?,
        fingerprint: row.try_get("fingerprint")?,
        rule_id: row.try_get("rule_id")?,
        answer: row.try_get("answer")?,
        created_at_ms: row.try_get("created_at")?,
    })
}
