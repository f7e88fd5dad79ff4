//! The state every route shares.

use std::time::Instant;

use metrics_exporter_prometheus::PrometheusHandle;

use crate::config::ConfigHandle;
use crate::health::HealthRegistry;

/// Cheap to clone: every field is a handle.
#[derive(Clone)]
pub struct AppState {
    pub config: ConfigHandle,
    pub health: HealthRegistry,
    pub prometheus: PrometheusHandle,
    pub started_at: Instant,
    pub store: store::Store,
}
