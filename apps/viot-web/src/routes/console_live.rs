//! Live updates for open console pages (Server-Sent Events) and the alert table with remote
//! pagination.
//!
//! `/console/events` streams an `alert` event whenever an alert's stored state changes: each
//! connection looks at the store once a second for alerts updated since the last one it sent
//! (the store, not the bus, so a page that reloads on the event sees what was announced).
//! The event's data is a small HTML toast; pages listen with `hx-trigger="sse:alert"`.

use std::convert::Infallible;
use std::time::Duration;

use axum::Extension;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::Method;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use serde::Deserialize;

use crate::auth::{Access, Principal, UserRole};
use crate::console::data::{self, AlertTableQuery};
use crate::console::render::render;
use crate::error::AppError;
use crate::routes::book::RouteBook;
use crate::routes::console::viewer_for;
use crate::state::AppState;

const POLL_INTERVAL: Duration = Duration::from_secs(1);

pub fn add_routes(book: RouteBook) -> RouteBook {
    let viewer = Access::Role(UserRole::Viewer);
    book.add(Method::GET, "/console/events", viewer, alert_events)
        .add(Method::GET, "/api/console/alerts", viewer, alert_page)
}

struct Feed {
    state: AppState,
    viewer: crate::console::render::Viewer,
    /// Newest `updated_at` already announced.
    seen_up_to_ms: i64,
    pending: std::collections::VecDeque<Event>,
}

async fn alert_events(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, AppError> {
    let viewer = viewer_for(&state, &principal).await?;
    let newest = newest_update(&state).await?;
    let feed = Feed {
        state,
        viewer,
        seen_up_to_ms: newest,
        pending: Default::default(),
    };
    let stream = futures::stream::unfold(feed, |mut feed| async move {
        loop {
            if let Some(event) = feed.pending.pop_front() {
                return Some((Ok(event), feed));
            }
            tokio::time::sleep(POLL_INTERVAL).await;
            if let Err(error) = feed.poll().await {
                tracing::warn!(%error, "console live feed: cannot read alerts");
            }
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

async fn newest_update(state: &AppState) -> Result<i64, AppError> {
    let filter = store::AlertFilter {
        limit: Some(1),
        ..Default::default()
    };
    let newest = state.store.alerts().list(&filter).await?;
    Ok(newest
        .first()
        .map_or(0, |alert| alert.current.updated_at_ms))
}

impl Feed {
    /// Queues one event per alert updated since the last poll, oldest first.
    async fn poll(&mut self) -> Result<(), AppError> {
        let filter = store::AlertFilter {
            limit: Some(50),
            ..Default::default()
        };
        let records = self.state.store.alerts().list(&filter).await?;
        let mut changed: Vec<_> = records
            .into_iter()
            .filter(|record| record.current.updated_at_ms > self.seen_up_to_ms)
            .collect();
        changed.reverse();
        let web_dir = self.state.config.current().console.web_dir.clone();
        for record in changed {
            self.seen_up_to_ms = self.seen_up_to_ms.max(record.current.updated_at_ms);
            let alert = crate::routes::alerts::AlertView::from(record);
            let toast = render(
                &web_dir,
                "components/alert-toast.html",
                &self.viewer,
                serde_json::json!({"alert": alert}),
            )?;
            // One line: SSE data lines cannot hold newlines without splitting the message.
            let one_line = toast.replace(['\n', '\r'], " ");
            self.pending
                .push_back(Event::default().event("alert").data(one_line));
        }
        Ok(())
    }
}

#[derive(Debug, Deserialize)]
struct AlertPageQuery {
    #[serde(default = "first_page")]
    page: u64,
    #[serde(default = "default_size")]
    size: u32,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    severity: Option<String>,
}

fn first_page() -> u64 {
    1
}

fn default_size() -> u32 {
    50
}

/// `{"last_page", "total", "data"}`: the shape Tabulator's remote pagination reads.
async fn alert_page(
    State(state): State<AppState>,
    Query(query): Query<AlertPageQuery>,
) -> Result<Json<serde_json::Value>, AppError> {
    let filters = AlertTableQuery {
        state: query.state,
        severity: query.severity,
        search: None,
        limit: None,
    };
    Ok(Json(
        data::alert_page(&state, &filters, query.page, query.size).await?,
    ))
}
