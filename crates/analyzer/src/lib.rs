//! Detectviz analyzer: the core's side of anomaly detection.
//!
//! Models live in the Python service `services/anomaly`; this crate reaches it over HTTP.
//! - [`client::AnalyzerClient`]: one typed HTTP attempt per call (`POST /v1/detect`,
//!   `POST /v1/train`, `GET /v1/models/{id}`, `PUT /v1/models/{id}/config`, `GET /healthz`)
//!   with a timeout and the caller's W3C `traceparent`. It never retries or sleeps.
//! - [`caller::Analyzer`]: the spec's AnalyzerPlugin for the rest of the core. It wraps the
//!   client with retries and exponential backoff for retryable errors, and a
//!   [`breaker::CircuitBreaker`] so a dead service costs one fast error instead of a timeout.
//! - [`model_runner::ModelRuleRunner`]: evaluates `model` alert rules in batches on an
//!   interval: scores the selected series, feeds the scores to the alert runner as samples,
//!   publishes flagged points on `dv:anomaly`, and reports `unknown` (with the reason) for
//!   model rules while the service cannot answer.

pub mod api;
pub mod breaker;
pub mod caller;
pub mod client;
pub mod config;
pub mod error;
pub mod model_runner;
mod model_status;
#[cfg(feature = "testing")]
pub mod testing;
pub mod trace;

pub use api::{
    ConfigUpdate, DetectRequest, DetectResponse, Frame, ModelInfo, Series, SeriesResult,
    TrainRequest, TrainResponse,
};
pub use breaker::{BreakerState, CircuitBreaker};
pub use caller::Analyzer;
pub use client::AnalyzerClient;
pub use config::AnalyzerConfig;
pub use error::AnalyzerError;
pub use model_runner::{ANOMALY_STREAM, AnomalyEvent, ModelRuleRunner};
pub use model_status::{AnalyzerStatus, ModelRuleState, ModelRuleStatus};
pub use trace::TraceContext;
