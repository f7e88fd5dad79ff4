//! What the log-viewer page shows: Detectviz's own recent logs from the in-memory ring
//! (`log_ring`), filtered by level, module and text, and the output of recent automation runs.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::AppError;
use crate::log_ring::{LogEntry, LogFilter, log_ring, parse_level};
use crate::state::AppState;

/// Rows a page shows at most.
pub const MAX_ROWS: u32 = 2_000;
/// Rows when the request does not say.
const DEFAULT_ROWS: u32 = 300;
/// Runs listed with their output.
const RECENT_RUNS: u32 = 20;

/// Query string of the log page, its rows fragment, `/api/console/logs` and the live feed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogQuery {
    /// At least this level: `error`, `warn`, `info`, `debug`, `trace`; empty for all.
    #[serde(default)]
    pub level: Option<String>,
    /// Module path prefix such as `automation` or `viot_web::routes`.
    #[serde(default)]
    pub module: Option<String>,
    /// Text in the message or a field.
    #[serde(default)]
    pub search: Option<String>,
    #[serde(default)]
    pub limit: Option<u32>,
}

fn non_empty(value: &Option<String>) -> Option<String> {
    value
        .as_ref()
        .map(|text| text.trim().to_string())
        .filter(|text| !text.is_empty())
}

impl LogQuery {
    /// The ring filter; an unknown level is refused by name.
    pub fn filter(&self) -> Result<LogFilter, AppError> {
        let min_level = match non_empty(&self.level) {
            None => None,
            Some(level) => Some(parse_level(&level).ok_or_else(|| {
                AppError::bad_request(format!(
                    "level: {level:?} is not one of error, warn, info, debug, trace"
                ))
            })?),
        };
        Ok(LogFilter {
            min_level,
            module: non_empty(&self.module),
            text: non_empty(&self.search),
        })
    }

    pub fn row_limit(&self) -> usize {
        self.limit.unwrap_or(DEFAULT_ROWS).clamp(1, MAX_ROWS) as usize
    }
}

/// An entry as templates and the API show it.
pub fn entry_json(entry: &LogEntry) -> Value {
    json!({"sequence": entry.sequence, "at_ms": entry.at_ms, "level": entry.level,
           "module": entry.module, "message": entry.message, "fields": entry.fields})
}

/// The matching entries, newest first.
pub fn entries(query: &LogQuery) -> Result<Vec<Value>, AppError> {
    let filter = query.filter()?;
    Ok(log_ring()
        .recent(&filter, query.row_limit())
        .iter()
        .map(|entry| entry_json(entry))
        .collect())
}

/// Recent automation runs with what they printed, newest first.
pub async fn run_outputs(state: &AppState) -> Result<Vec<Value>, AppError> {
    Ok(super::task_runner::latest_runs(state, RECENT_RUNS)
        .await?
        .into_iter()
        .map(|run| {
            json!({"run_id": run.run_id, "rule_id": run.rule_id, "status": run.status,
                   "trigger_kind": run.trigger_kind, "requested_by": run.requested_by,
                   "started_at_ms": run.started_at_ms, "exit_code": run.exit_code,
                   "stdout": run.stdout, "stderr": run.stderr, "error": run.error})
        })
        .collect())
}

/// The page's data: entries, the filter as given, known modules, recent run output.
pub async fn page_data(state: &AppState, query: &LogQuery) -> Result<Value, AppError> {
    Ok(json!({
        "entries": entries(query)?,
        "filter": {"level": non_empty(&query.level), "module": non_empty(&query.module),
                   "search": non_empty(&query.search)},
        "modules": log_ring().modules(),
        "levels": ["error", "warn", "info", "debug", "trace"],
        "runs": run_outputs(state).await?,
    }))
}
