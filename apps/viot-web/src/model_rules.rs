//! Wires the analyzer (`[analyzer]`): the model-rule runner on its interval, and the
//! `analyzer` health module that follows it — `degraded` with the reason while the anomaly
//! service cannot score (model rules are then `unknown`; other rules are not affected).

use std::sync::Arc;
use std::time::Duration;

use alert::runner::AlertRunner;
use analyzer::{Analyzer, AnalyzerConfig, AnalyzerStatus, ModelRuleRunner, ModelRuleState};
use ingest::SeriesWindow;

use crate::health::{HealthRegistry, HealthStatus};

/// Starts the runner when `[analyzer] enabled = true`; `None` otherwise.
pub fn start_model_rules(
    config: &AnalyzerConfig,
    bus: &eventbus::EventBus,
    alerts: &Arc<AlertRunner>,
    window: &Arc<SeriesWindow>,
    health: &HealthRegistry,
    shutdown: eventbus::CancellationToken,
) -> Result<Option<Arc<ModelRuleRunner>>, analyzer::AnalyzerError> {
    if !config.enabled {
        return Ok(None);
    }
    let analyzer = Arc::new(Analyzer::new(config)?);
    let runner = ModelRuleRunner::new(analyzer, alerts.clone(), bus.clone(), window.clone());
    let waiting = format!(
        "waiting for the first model-rule run against {}",
        config.url
    );
    health.report("analyzer", false, HealthStatus::Up, waiting);
    spawn_health_follower(&runner, health.clone(), shutdown.clone());
    runner.spawn(Duration::from_secs(config.interval_s), shutdown);
    tracing::info!(url = %config.url, interval_s = config.interval_s, "model rules enabled");
    Ok(Some(runner))
}

fn spawn_health_follower(
    runner: &Arc<ModelRuleRunner>,
    health: HealthRegistry,
    shutdown: eventbus::CancellationToken,
) {
    let mut statuses = runner.subscribe();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                changed = statuses.changed() => {
                    if changed.is_err() {
                        return;
                    }
                }
            }
            let status = statuses.borrow_and_update().clone();
            let (module_status, message) = health_of(&status);
            health.report("analyzer", false, module_status, message);
        }
    });
}

/// Degraded while the service is unavailable or any model rule is `unknown`.
pub fn health_of(status: &AnalyzerStatus) -> (HealthStatus, String) {
    if let Some(reason) = status.reason.as_ref().filter(|_| !status.available) {
        let message = format!("model rules unknown: {reason}");
        return (HealthStatus::Degraded, message);
    }
    let unknown: Vec<&str> = status
        .rules
        .iter()
        .filter(|rule| rule.state == ModelRuleState::Unknown)
        .map(|rule| rule.rule_id.as_str())
        .collect();
    if !unknown.is_empty() {
        let message = format!("model rules unknown: {}", unknown.join(", "));
        return (HealthStatus::Degraded, message);
    }
    let message = format!(
        "{} model rules scored by {}",
        status.rules.len(),
        status.url
    );
    (HealthStatus::Up, message)
}
