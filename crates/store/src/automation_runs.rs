//! The `automation_runs` repository: the history of every automation run, and the claim that
//! keeps alert-triggered runs to one per (fingerprint, transition, rule, action).
//!
//! A run is inserted `started` with [`AutomationRuns::insert_started`]; the unique
//! `(run_key, generation)` makes that insert the claim: a second executor inserting the same
//! key and generation gets `false` and runs nothing. The run ends with
//! [`AutomationRuns::finish`]. Runs a killed executor left `started` are marked `interrupted`
//! by [`AutomationRuns::mark_interrupted`] when it starts again (its `owner` names it); a
//! re-run takes the next generation. Statuses are the automation crate's (`started`,
//! `succeeded`, `failed`, `timed_out`, `skipped_cooldown`, `interrupted`, `cancelled`); the
//! store keeps them as text.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Store, StoreError};

/// The status of a run that has not ended.
pub const RUN_STARTED: &str = "started";
/// The status of a run whose executor died before it ended.
pub const RUN_INTERRUPTED: &str = "interrupted";

/// What `AutomationRuns::insert_started` needs.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAutomationRun {
    pub run_id: String,
    /// `fingerprint/kind/at_ms/rule/action` for alert runs, `manual/<run id>` for manual ones.
    pub run_key: String,
    /// 0 for the first run of a key, one more for each re-run after an interruption.
    pub generation: i64,
    pub rule_id: String,
    pub action: String,
    /// `alert` or `manual`.
    pub trigger_kind: String,
    /// The user who started a manual run.
    pub requested_by: Option<String>,
    pub fingerprint: Option<String>,
    pub transition_kind: Option<String>,
    pub transition_at_ms: Option<i64>,
    pub parameters: serde_json::Value,
    /// The executor (consumer name) running it.
    pub owner: String,
    pub started_at_ms: i64,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FinishedAutomationRun {
    pub status: String,
    pub attempts: u32,
    pub ended_at_ms: i64,
    pub exit_code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub error: Option<String>,
    pub provider_id: Option<String>,
    /// The LLM's answer, for `llm` actions.
    pub answer: Option<String>,
}

/// A stored run.
#[derive(Debug, Clone, PartialEq)]
pub struct AutomationRunRecord {
    pub run: NewAutomationRun,
    pub status: String,
    pub attempts: u32,
    pub ended_at_ms: Option<i64>,
    pub exit_code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub error: Option<String>,
    pub provider_id: Option<String>,
    pub answer: Option<String>,
}

/// Which runs `AutomationRuns::list` returns; empty fields do not filter.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AutomationRunFilter {
    pub fingerprint: Option<String>,
    pub rule_id: Option<String>,
    pub status: Option<String>,
    pub limit: u32,
}

macro_rules! select_runs {
    ($tail:literal) => {
        concat!(
            "SELECT run_id, run_key, generation, rule_id, action, trigger_kind, \
     requested_by, fingerprint, transition_kind, transition_at, parameters, owner, status, \
     attempts, started_at, ended_at, exit_code, stdout, stderr, error, provider_id, answer \
     FROM automation_runs ",
            $tail
        )
    };
}

/// Repository over `automation_runs`; get it with [`Store::automation_runs`].
pub struct AutomationRuns<'store> {
    store: &'store Store,
}

impl<'store> AutomationRuns<'store> {
    pub(crate) fn new(store: &'store Store) -> Self {
        AutomationRuns { store }
    }

    /// Inserts the run as `started`. False when the (run key, generation) is already taken:
    /// another executor claimed the run.
    pub async fn insert_started(&self, run: &NewAutomationRun) -> Result<bool, StoreError> {
        let outcome = sqlx::query(
            "INSERT INTO automation_runs (run_id, run_key, generation, rule_id, action, \
             trigger_kind, requested_by, fingerprint, transition_kind, transition_at, \
             parameters, owner, status, attempts, started_at, stdout, stderr) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'started', 0, ?, '', '')",
        )
        .bind(&run.run_id)
        .bind(&run.run_key)
        .bind(run.generation)
        .bind(&run.rule_id)
        .bind(&run.action)
        .bind(&run.trigger_kind)
        .bind(&run.requested_by)
        .bind(&run.fingerprint)
        .bind(&run.transition_kind)
        .bind(run.transition_at_ms)
        .bind(run.parameters.to_string())
        .bind(&run.owner)
        .bind(run.started_at_ms)
        .execute(self.store.pool())
        .await;
        match outcome {
            Ok(_) => Ok(true),
            Err(error) => match StoreError::conflict_or(error, format!("run {}", run.run_key)) {
                StoreError::Conflict { .. } => Ok(false),
                other => Err(other),
            },
        }
    }

    /// Records how a `started` run ended. False when the run is not `started` any more (it
    /// was already finished, or marked interrupted).
    pub async fn finish(
        &self,
        run_id: &str,
        finished: &FinishedAutomationRun,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query(
            "UPDATE automation_runs SET status = ?, attempts = ?, ended_at = ?, exit_code = ?, \
             stdout = ?, stderr = ?, error = ?, provider_id = ?, answer = ? \
             WHERE run_id = ? AND status = 'started'",
        )
        .bind(&finished.status)
        .bind(i64::from(finished.attempts))
        .bind(finished.ended_at_ms)
        .bind(finished.exit_code.map(i64::from))
        .bind(&finished.stdout)
        .bind(&finished.stderr)
        .bind(&finished.error)
        .bind(&finished.provider_id)
        .bind(&finished.answer)
        .bind(run_id)
        .execute(self.store.pool())
        .await?;
        Ok(result.rows_affected() == 1)
    }

    /// Marks the runs `owner` left `started` as `interrupted` (call it when that executor
    /// starts, before it runs anything); returns how many.
    pub async fn mark_interrupted(&self, owner: &str, now_ms: i64) -> Result<u64, StoreError> {
        let result = sqlx::query(
            "UPDATE automation_runs SET status = 'interrupted', ended_at = ?, \
             error = 'the executor stopped during the run (killed or crashed)' \
             WHERE owner = ? AND status = 'started'",
        )
        .bind(now_ms)
        .bind(owner)
        .execute(self.store.pool())
        .await?;
        Ok(result.rows_affected())
    }

    pub async fn get(&self, run_id: &str) -> Result<Option<AutomationRunRecord>, StoreError> {
        let row = sqlx::query(select_runs!("WHERE run_id = ?"))
            .bind(run_id)
            .fetch_optional(self.store.pool())
            .await?;
        row.as_ref().map(run_from_row).transpose()
    }

    /// The run of `run_key` with the highest generation.
    pub async fn latest_for_key(
        &self,
        run_key: &str,
    ) -> Result<Option<AutomationRunRecord>, StoreError> {
        let row = sqlx::query(select_runs!(
            "WHERE run_key = ? ORDER BY generation DESC LIMIT 1"
        ))
        .bind(run_key)
        .fetch_optional(self.store.pool())
        .await?;
        row.as_ref().map(run_from_row).transpose()
    }

    /// The newest runs first, filtered.
    pub async fn list(
        &self,
        filter: &AutomationRunFilter,
    ) -> Result<Vec<AutomationRunRecord>, StoreError> {
        let rows = sqlx::query(select_runs!(
            "WHERE (? IS NULL OR fingerprint = ?) AND (? IS NULL OR rule_id = ?) \
             AND (? IS NULL OR status = ?) ORDER BY started_at DESC, run_id DESC LIMIT ?"
        ))
        .bind(&filter.fingerprint)
        .bind(&filter.fingerprint)
        .bind(&filter.rule_id)
        .bind(&filter.rule_id)
        .bind(&filter.status)
        .bind(&filter.status)
        .bind(i64::from(filter.limit.clamp(1, 1_000)))
        .fetch_all(self.store.pool())
        .await?;
        rows.iter().map(run_from_row).collect()
    }
}

fn run_from_row(row: &AnyRow) -> Result<AutomationRunRecord, StoreError> {
    let run_id: String = row.try_get("run_id")?;
    let parameters_text: String = row.try_get("parameters")?;
    let parameters = StoreError::parse_json(&parameters_text, || {
        format!("automation run {run_id} parameters")
    })?;
    let attempts: i64 = row.try_get("attempts")?;
    let exit_code: Option<i64> = row.try_get("exit_code")?;
    Ok(AutomationRunRecord {
        run: NewAutomationRun {
            run_key: row.try_get("run_key")?,
            generation: row.try_get("generation")?,
            rule_id: row.try_get("rule_id")?,
            action: row.try_get("action")?,
            trigger_kind: row.try_get("trigger_kind")?,
            requested_by: row.try_get("requested_by")?,
            fingerprint: row.try_get("fingerprint")?,
            transition_kind: row.try_get("transition_kind")?,
            transition_at_ms: row.try_get("transition_at")?,
            parameters,
            owner: row.try_get("owner")?,
            started_at_ms: row.try_get("started_at")?,
            run_id,
        },
        status: row.try_get("status")?,
        attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
        ended_at_ms: row.try_get("ended_at")?,
        exit_code: exit_code.map(|code| i32::try_from(code).unwrap_or(i32::MIN)),
        stdout: row.try_get("stdout")?,
        stderr: row.try_get("stderr")?,
        error: row.try_get("error")?,
        provider_id: row.try_get("provider_id")?,
        answer: row.try_get("answer")?,
    })
}
