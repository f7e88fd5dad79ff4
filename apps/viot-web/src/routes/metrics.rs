//! `GET /metrics`: Prometheus text format, with process and HTTP metrics.

use axum::extract::State;
use axum::http::Method;
use axum::http::header;
use axum::response::IntoResponse;

use crate::auth::{Access, UserRole};
use crate::process_metrics::record_process_metrics;
use crate::routes::book::RouteBook;
use crate::state::AppState;

/// `/metrics` needs a viewer (or a token with the `read` scope) unless `auth.metrics_public`.
pub fn add_routes(book: RouteBook, metrics_public: bool) -> RouteBook {
    let access = if metrics_public {
        Access::Public
    } else {
        Access::Role(UserRole::Viewer)
    };
    book.add(Method::GET, "/metrics", access, metrics)
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    record_process_metrics();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.prometheus.render(),
    )
}
