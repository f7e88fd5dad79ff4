//! The state every route shares.

use std::sync::Arc;
use std::time::Instant;

use metrics_exporter_prometheus::PrometheusHandle;

use crate::auth::lockout::LoginLockout;
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
    pub bus: eventbus::EventBus,
    pub ingest: Arc<crate::ingest_pipeline::IngestPipeline>,
    pub alerts: Arc<alert::runner::AlertRunner>,
    pub login_lockout: Arc<LoginLockout>,
    /// Manual automation runs; `None` when `[automation]` is off.
    pub tasks: Option<Arc<automation::TaskRunner>>,
    /// The model-rule runner, when `[analyzer]` is enabled.
    pub analyzer: Option<Arc<analyzer::ModelRuleRunner>>,
    /// OpenID Connect: provider metadata and key caches, sign-ins in progress.
    pub oidc: Arc<crate::auth::oidc::OidcClient>,
}

impl AppState {
    /// The login lockout as configured in `[auth]`.
    pub fn login_lockout_from(config: &crate::config::Config) -> Arc<LoginLockout> {
        let window = std::time::Duration::from_secs(config.auth.lockout_minutes * 60);
        Arc::new(LoginLockout::new(config.auth.max_failed_logins, window))
    }
}
