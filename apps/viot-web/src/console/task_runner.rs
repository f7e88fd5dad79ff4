//! What the task-runner page shows: the actions an operator may run by hand (with their
//! parameters), the latest runs, and the latest device scans with their progress.

use serde_json::{Value, json};

use crate::error::AppError;
use crate::routes::devices::ScanView;
use crate::routes::tasks::RunView;
use crate::state::AppState;

/// How many runs and scans the page lists.
const RECENT_ROWS: u32 = 15;

/// The page's data: `actions`, `runs`, `scans`, and whether automation is on.
pub async fn page_data(state: &AppState) -> Result<Value, AppError> {
    let actions = match state.tasks.as_ref() {
        Some(runner) => runner.actions().await.map_err(|error| {
            AppError::new(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                error.to_string(),
            )
        })?,
        None => Vec::new(),
    };
    Ok(json!({
        "automation_enabled": state.tasks.is_some(),
        "actions": actions,
        "runs": recent_runs(state).await?,
        "scans": recent_scans(state).await?,
    }))
}

/// The newest `limit` automation runs (manual and alert-triggered), newest first.
pub async fn latest_runs(state: &AppState, limit: u32) -> Result<Vec<RunView>, AppError> {
    let runs = state
        .store
        .automation_runs()
        .list(&store::AutomationRunFilter {
            fingerprint: None,
            rule_id: None,
            status: None,
            limit,
        })
        .await?;
    Ok(runs.into_iter().map(RunView::from).collect())
}

/// The latest runs (manual and alert-triggered), newest first, without their output.
pub async fn recent_runs(state: &AppState) -> Result<Vec<Value>, AppError> {
    Ok(latest_runs(state, RECENT_ROWS)
        .await?
        .into_iter()
        .map(|run| {
            json!({"run_id": run.run_id, "rule_id": run.rule_id, "action": run.action,
                   "trigger_kind": run.trigger_kind, "requested_by": run.requested_by,
                   "status": run.status, "started_at_ms": run.started_at_ms,
                   "ended_at_ms": run.ended_at_ms, "exit_code": run.exit_code})
        })
        .collect())
}

/// The latest scans, newest first.
pub async fn recent_scans(state: &AppState) -> Result<Vec<Value>, AppError> {
    let scans = state.store.scans().list(RECENT_ROWS).await?;
    Ok(scans
        .into_iter()
        .map(|scan| scan_json(ScanView::from(scan)))
        .collect())
}

/// One scan with its progress in percent, for the progress bar.
pub async fn scan(state: &AppState, scan_id: &str) -> Result<Value, AppError> {
    let scan = state
        .store
        .scans()
        .get(scan_id)
        .await?
        .ok_or_else(|| AppError::not_found(format!("scan {scan_id}")))?;
    Ok(scan_json(ScanView::from(scan)))
}

fn scan_json(scan: ScanView) -> Value {
    let percent = match scan.hosts_total {
        0 if scan.status == "running" => 0,
        0 => 100,
        total => (scan.hosts_done * 100 / total).min(100),
    };
    let mut value = serde_json::to_value(&scan).unwrap_or(Value::Null);
    value["percent"] = json!(percent);
    value["running"] = json!(scan.status == "running");
    value
}
