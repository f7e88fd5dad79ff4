//! `GET /api/health`: the node's state and each module's, 503 when a required module is down.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::Method;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::auth::Access;
use crate::health::{HealthStatus, ModuleHealth};
use crate::routes::book::RouteBook;
use crate::state::AppState;

#[derive(Debug, Serialize)]
pub struct HealthReport {
    pub status: HealthStatus,
    pub version: &'static str,
    pub role: detectviz::Role,
    pub uptime_s: u64,
    pub modules: BTreeMap<String, ModuleHealth>,
}

pub fn add_routes(book: RouteBook) -> RouteBook {
    // Public: load balancers and orchestrators probe it without credentials.
    book.add(Method::GET, "/api/health", Access::Public, health)
}

async fn health(State(state): State<AppState>) -> Response {
    report_config_state(&state);
    let (status, modules) = state.health.check_all().await;
    let report = HealthReport {
        status,
        version: detectviz::VERSION,
        role: state.config.current().node.role,
        uptime_s: state.started_at.elapsed().as_secs(),
        modules,
    };
    let code = if status == HealthStatus::Down {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    (code, Json(report)).into_response()
}

/// The config module is degraded while the file on disk is invalid (the running config is kept).
fn report_config_state(state: &AppState) {
    let reload = state.config.status();
    let path = state.config.path().display();
    match reload.last_error {
        Some(error) => state.health.report(
            "config",
            false,
            HealthStatus::Degraded,
            format!("reload rejected, running the last valid config: {error}"),
        ),
        None => state.health.report(
            "config",
            false,
            HealthStatus::Up,
            format!(
                "loaded from {path}; {} reloads applied",
                reload.applied_reloads
            ),
        ),
    }
}
