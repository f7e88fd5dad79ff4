//! The task runner API (the console's task-runner page): the automation rules' actions, manual
//! runs with parameters (operators; audited like every change), their live output as
//! server-sent events, cancellation, and the run history from the store (viewers).
//!
//! `GET /api/tasks/runs/{id}/output` is `text/event-stream`: `output` events carry chunks of
//! what the run prints (first what was printed before the request), then one `end` event
//! with `{"status"}`. For a run that already ended it sends its stored output and the `end`.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{Method, StatusCode};
use axum::response::IntoResponse;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;

use crate::auth::{Access, Principal, UserRole};
use crate::error::AppError;
use crate::routes::book::RouteBook;
use crate::state::AppState;

pub fn add_routes(book: RouteBook) -> RouteBook {
    let viewer = Access::Role(UserRole::Viewer);
    let operator = Access::Role(UserRole::Operator);
    book.add(Method::GET, "/api/tasks/actions", viewer, list_actions)
        .add(Method::GET, "/api/tasks/runs", viewer, list_runs)
        .add(Method::POST, "/api/tasks/runs", operator, start_run)
        .add(Method::GET, "/api/tasks/runs/{id}", viewer, get_run)
        .add(
            Method::GET,
            "/api/tasks/runs/{id}/output",
            viewer,
            stream_output,
        )
        .add(
            Method::POST,
            "/api/tasks/runs/{id}/cancel",
            operator,
            cancel_run,
        )
}

/// The task runner, or 404 when `[automation]` is off (a switched-off module is not a server
/// fault, so no 5xx).
fn task_runner(state: &AppState) -> Result<&std::sync::Arc<automation::TaskRunner>, AppError> {
    state.tasks.as_ref().ok_or_else(|| {
        AppError::new(
            StatusCode::NOT_FOUND,
            "automation_disabled",
            "automation is off: set `enabled = true` in [automation]",
        )
    })
}

async fn list_actions(
    State(state): State<AppState>,
) -> Result<Json<Vec<automation::TaskAction>>, AppError> {
    // With automation off there is nothing to run by hand: an empty list, not an error.
    let Some(runner) = state.tasks.as_ref() else {
        return Ok(Json(Vec::new()));
    };
    let actions = runner.actions().await.map_err(|error| {
        AppError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            error.to_string(),
        )
    })?;
    Ok(Json(actions))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartRunRequest {
    pub rule_id: String,
    #[serde(default)]
    pub parameters: BTreeMap<String, String>,
}

async fn start_run(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Json(request): Json<StartRunRequest>,
) -> Result<impl IntoResponse, AppError> {
    let record = task_runner(&state)?
        .start(&request.rule_id, request.parameters, &principal.name)
        .await
        .map_err(|error| match error {
            automation::TaskError::UnknownRule(_) => AppError::not_found(error.to_string()),
            automation::TaskError::UnknownParameter { .. } => {
                AppError::bad_request(error.to_string())
            }
            automation::TaskError::Run(_) => AppError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                error.to_string(),
            ),
        })?;
    Ok((StatusCode::ACCEPTED, Json(record)))
}

/// A stored run as the API shows it.
#[derive(Debug, Serialize)]
pub struct RunView {
    pub run_id: String,
    pub rule_id: String,
    pub action: String,
    pub trigger_kind: String,
    pub requested_by: Option<String>,
    pub fingerprint: Option<String>,
    pub transition_kind: Option<String>,
    pub generation: i64,
    pub status: String,
    pub attempts: u32,
    pub started_at_ms: i64,
    pub ended_at_ms: Option<i64>,
    pub exit_code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub error: Option<String>,
    pub provider_id: Option<String>,
    pub answer: Option<serde_json::Value>,
    pub parameters: serde_json::Value,
}

impl From<store::AutomationRunRecord> for RunView {
    fn from(record: store::AutomationRunRecord) -> RunView {
        RunView {
            run_id: record.run.run_id,
            rule_id: record.run.rule_id,
            action: record.run.action,
            trigger_kind: record.run.trigger_kind,
            requested_by: record.run.requested_by,
            fingerprint: record.run.fingerprint,
            transition_kind: record.run.transition_kind,
            generation: record.run.generation,
            status: record.status,
            attempts: record.attempts,
            started_at_ms: record.run.started_at_ms,
            ended_at_ms: record.ended_at_ms,
            exit_code: record.exit_code,
            stdout: record.stdout,
            stderr: record.stderr,
            error: record.error,
            provider_id: record.provider_id,
            answer: record
                .answer
                .map(|text| serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text))),
            parameters: record.run.parameters,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunFilter {
    pub fingerprint: Option<String>,
    pub rule_id: Option<String>,
    pub status: Option<String>,
    pub limit: Option<u32>,
}

async fn list_runs(
    State(state): State<AppState>,
    Query(filter): Query<RunFilter>,
) -> Result<Json<Vec<RunView>>, AppError> {
    let runs = state
        .store
        .automation_runs()
        .list(&store::AutomationRunFilter {
            fingerprint: filter.fingerprint,
            rule_id: filter.rule_id,
            status: filter.status,
            limit: filter.limit.unwrap_or(100),
        })
        .await?;
    Ok(Json(runs.into_iter().map(RunView::from).collect()))
}

async fn get_run(
    State(state): State<AppState>,
    Path(run_id): Path<String>,
) -> Result<Json<RunView>, AppError> {
    let run = state.store.automation_runs().get(&run_id).await?;
    let run = run.ok_or_else(|| AppError::not_found(format!("automation run {run_id}")))?;
    Ok(Json(RunView::from(run)))
}

async fn cancel_run(
    State(state): State<AppState>,
    Path(run_id): Path<String>,
) -> Result<StatusCode, AppError> {
    if task_runner(&state)?.cancel(&run_id) {
        return Ok(StatusCode::ACCEPTED);
    }
    Err(AppError::new(
        StatusCode::CONFLICT,
        "conflict",
        format!("automation run {run_id} is not running here"),
    ))
}

type EventStream = Box<dyn Stream<Item = Result<Event, Infallible>> + Send + Unpin>;

async fn stream_output(
    State(state): State<AppState>,
    Path(run_id): Path<String>,
) -> Result<impl IntoResponse, AppError> {
    let watch = task_runner(&state)?.watch(&run_id);
    let stream: EventStream = match watch {
        Some(watch) => Box::new(Box::pin(live_events(watch))),
        None => {
            let run = state.store.automation_runs().get(&run_id).await?;
            let run = run.ok_or_else(|| AppError::not_found(format!("automation run {run_id}")))?;
            let mut events = Vec::new();
            let printed = format!("{}{}", run.stdout, run.stderr);
            if !printed.is_empty() {
                events.push(Ok(Event::default().event("output").data(printed)));
            }
            events.push(Ok(end_event_named(&run.status)));
            Box::new(futures::stream::iter(events))
        }
    };
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

fn end_event(status: Option<automation::RunStatus>) -> Event {
    let status = status.map_or("unknown", |status| status.as_str());
    end_event_named(status)
}

fn end_event_named(status: &str) -> Event {
    Event::default()
        .event("end")
        .data(json!({ "status": status }).to_string())
}

enum Next {
    Chunk(Result<String, RecvError>),
    Finished(Option<automation::RunStatus>),
}

/// The transcript so far, then each chunk as it comes, then `end`.
fn live_events(watch: automation::TaskWatch) -> impl Stream<Item = Result<Event, Infallible>> {
    let automation::TaskWatch {
        transcript,
        live,
        finished,
    } = watch;
    let first = (!transcript.is_empty()).then(|| Event::default().event("output").data(transcript));
    futures::stream::unfold(
        (first, live, finished, false),
        |(first, mut live, mut finished, ended)| async move {
            if ended {
                return None;
            }
            if let Some(event) = first {
                return Some((Ok(event), (None, live, finished, false)));
            }
            loop {
                let next = tokio::select! {
                    biased;
                    chunk = live.recv() => Next::Chunk(chunk),
                    status = finished.wait_for(Option::is_some) => {
                        Next::Finished(status.ok().and_then(|status| *status))
                    }
                };
                let chunk = match next {
                    Next::Chunk(Ok(chunk)) => chunk,
                    Next::Chunk(Err(RecvError::Lagged(skipped))) => {
                        format!("[… {skipped} chunks skipped …]")
                    }
                    // Every chunk was passed on: the run ended.
                    Next::Chunk(Err(RecvError::Closed)) => {
                        let status = finished
                            .wait_for(Option::is_some)
                            .await
                            .ok()
                            .and_then(|status| *status);
                        return Some((Ok(end_event(status)), (None, live, finished, true)));
                    }
                    Next::Finished(status) if live.is_empty() => {
                        return Some((Ok(end_event(status)), (None, live, finished, true)));
                    }
                    Next::Finished(_) => continue,
                };
                let event = Event::default().event("output").data(chunk);
                return Some((Ok(event), (None, live, finished, false)));
            }
        },
    )
}
