//! The log viewer's HTTP side: `GET /api/console/logs` (matching entries as JSON, newest
//! first) and `GET /console/logs/events` (follow mode: every new matching entry as an SSE
//! `log` event whose data is its table row). Operators and admins only: logs name hosts,
//! rules, people and what they did.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::Method;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::{Extension, Json};
use futures::Stream;
use tokio::sync::broadcast::error::RecvError;

use crate::auth::{Access, Principal, UserRole};
use crate::console::log_view::{self, LogQuery};
use crate::console::render::{Viewer, render};
use crate::error::AppError;
use crate::log_ring::{LogFilter, log_ring};
use crate::routes::book::RouteBook;
use crate::routes::console::viewer_for;
use crate::state::AppState;

pub fn add_routes(book: RouteBook) -> RouteBook {
    let operator = Access::Role(UserRole::Operator);
    book.add(Method::GET, "/api/console/logs", operator, list_logs)
        .add(Method::GET, "/console/logs/events", operator, follow_logs)
}

async fn list_logs(
    Query(query): Query<LogQuery>,
) -> Result<Json<Vec<serde_json::Value>>, AppError> {
    Ok(Json(log_view::entries(&query)?))
}

struct Follower {
    receiver: tokio::sync::broadcast::Receiver<std::sync::Arc<crate::log_ring::LogEntry>>,
    filter: LogFilter,
    viewer: Viewer,
    web_dir: std::path::PathBuf,
}

impl Follower {
    /// The next matching entry as a `log` event; `None` when the ring is gone.
    async fn next_event(&mut self) -> Option<Event> {
        loop {
            let entry = match self.receiver.recv().await {
                Ok(entry) => entry,
                Err(RecvError::Lagged(skipped)) => {
                    return Some(Event::default().event("skipped").data(skipped.to_string()));
                }
                Err(RecvError::Closed) => return None,
            };
            if !self.filter.matches(&entry) {
                continue;
            }
            let context = serde_json::json!({"entry": log_view::entry_json(&entry)});
            // A rendering error is not logged: that log line would be followed in turn.
            let Ok(row) = render(
                &self.web_dir,
                "components/log-row.html",
                &self.viewer,
                context,
            ) else {
                continue;
            };
            // One line: SSE data lines cannot hold newlines without splitting the message.
            let one_line = row.replace(['\n', '\r'], " ");
            return Some(
                Event::default()
                    .event("log")
                    .id(entry.sequence.to_string())
                    .data(one_line),
            );
        }
    }
}

async fn follow_logs(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Query(query): Query<LogQuery>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, AppError> {
    let follower = Follower {
        receiver: log_ring().follow(),
        filter: query.filter()?,
        viewer: viewer_for(&state, &principal).await?,
        web_dir: state.config.current().console.web_dir.clone(),
    };
    let stream = futures::stream::unfold(follower, |mut follower| async move {
        let event = follower.next_event().await?;
        Some((Ok(event), follower))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}
