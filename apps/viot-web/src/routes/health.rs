//! `GET /api/health`: the node's state and each module's, 503 when a required module is down.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use crate::health::{HealthStatus, ModuleHealth};
use crate::state::AppState;

#[derive(Debug, Serialize)]
pub struct HealthReport {
    pub status: HealthStatus,
    pub version: &'static str,
    pub role: detectviz::Role,
    pub uptime_s: u64,
    pub modules: BTreeMap<String, ModuleHealth>,
}

pub fn router() -> Router<AppState> {
    Router::new().route("/api/health", get(health))
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
