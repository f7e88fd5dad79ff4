//! viot-web: the `detectviz` binary's library. `app(state)` builds the whole HTTP router;
//! `main.rs` only parses the command line and calls into `commands`.

pub mod auth;
pub mod cli;
pub mod commands;
pub mod config;
pub mod console;
pub mod error;
pub mod files;
pub mod health;
pub mod http_metrics;
pub mod ingest_pipeline;
pub mod log_ring;
pub mod model_rules;
pub mod process_metrics;
pub mod routes;
pub mod rule_set;
pub mod scan_progress;
pub mod secret_store;
pub mod server;
pub mod state;
pub mod telemetry;

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{Request, StatusCode};
use tower::ServiceBuilder;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{
    MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use state::AppState;

/// The whole HTTP application. Body limit and timeout are read from the config at build time.
pub fn app(state: AppState) -> Router {
    let server_config = state.config.current().server.clone();
    let request_timeout = Duration::from_secs(server_config.request_timeout_s);
    let layers = ServiceBuilder::new()
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
            let request_id = request
                .extensions()
                .get::<RequestId>()
                .and_then(|id| id.header_value().to_str().ok())
                .unwrap_or("-")
                .to_string();
            tracing::info_span!("http", method = %request.method(), path = %request.uri().path(), request_id)
        }))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(axum::middleware::from_fn(error::render_errors))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, request_timeout))
        .layer(RequestBodyLimitLayer::new(server_config.body_limit_bytes))
        .layer(DefaultBodyLimit::max(server_config.body_limit_bytes));
    let authenticate =
        axum::middleware::from_fn_with_state(state.clone(), auth::middleware::authenticate);
    let (routes, _entries) = routes::route_book(state.clone()).into_router();
    routes
        .route_layer(axum::middleware::from_fn(http_metrics::record_http_metrics))
        .fallback(error::route_not_found)
        .layer(authenticate)
        .with_state(state)
        .layer(layers)
}
