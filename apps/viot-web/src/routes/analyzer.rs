//! `GET /api/analyzer`: the anomaly service's availability, its circuit breaker, and each
//! model rule's state from the last run (`ok`, `no_data`, or `unknown` with the reason).

use axum::Json;
use axum::extract::State;
use axum::http::Method;
use serde_json::json;

use crate::auth::{Access, UserRole};
use crate::routes::book::RouteBook;
use crate::state::AppState;

pub fn add_routes(book: RouteBook) -> RouteBook {
    book.add(
        Method::GET,
        "/api/analyzer",
        Access::Role(UserRole::Viewer),
        analyzer_status,
    )
}

async fn analyzer_status(State(state): State<AppState>) -> Json<serde_json::Value> {
    let Some(runner) = &state.analyzer else {
        return Json(json!({"enabled": false, "rules": []}));
    };
    let mut status = serde_json::to_value(runner.status()).unwrap_or_default();
    status["enabled"] = json!(true);
    Json(status)
}
