//! Module health (the spec's HealthChecker): each module registers a check or reports its
//! state; `/api/health` gathers them. A required module that is down makes the whole node
//! down (503); anything else that is not up makes it degraded (still 200).

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

/// How long one module's check may take before it counts as down.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HealthStatus {
    Up,
    Degraded,
    Down,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModuleHealth {
    pub status: HealthStatus,
    pub message: String,
    pub last_check: DateTime<Utc>,
    pub required: bool,
}

type CheckFuture = Pin<Box<dyn Future<Output = Result<String, String>> + Send>>;
type CheckFunction = Arc<dyn Fn() -> CheckFuture + Send + Sync>;

#[derive(Clone)]
enum HealthSource {
    /// Checked on every health request (a ping to a database, say).
    Check(CheckFunction),
    /// Pushed by the module whenever its state changes.
    Reported {
        status: HealthStatus,
        message: String,
        at: DateTime<Utc>,
    },
}

#[derive(Clone)]
struct RegisteredModule {
    required: bool,
    source: HealthSource,
}

/// Every module's health, shared across the app.
#[derive(Clone, Default)]
pub struct HealthRegistry {
    modules: Arc<RwLock<BTreeMap<String, RegisteredModule>>>,
}

impl HealthRegistry {
    /// Registers a check run on each health request; `Ok(message)` is up, `Err(message)` down.
    pub fn register_check<F, Fut>(&self, name: &str, required: bool, check: F)
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<String, String>> + Send + 'static,
    {
        let check: CheckFunction = Arc::new(move || Box::pin(check()));
        let module = RegisteredModule {
            required,
            source: HealthSource::Check(check),
        };
        self.modules
            .write()
            .expect("health lock")
            .insert(name.to_string(), module);
    }

    /// Records the state of a module that reports itself.
    pub fn report(
        &self,
        name: &str,
        required: bool,
        status: HealthStatus,
        message: impl Into<String>,
    ) {
        let source = HealthSource::Reported {
            status,
            message: message.into(),
            at: Utc::now(),
        };
        self.modules
            .write()
            .expect("health lock")
            .insert(name.to_string(), RegisteredModule { required, source });
    }

    /// Runs every check (concurrently, each with a timeout) and returns the overall state.
    pub async fn check_all(&self) -> (HealthStatus, BTreeMap<String, ModuleHealth>) {
        let modules: Vec<(String, RegisteredModule)> = self
            .modules
            .read()
            .expect("health lock")
            .iter()
            .map(|(name, module)| (name.clone(), module.clone()))
            .collect();
        let checks = modules.into_iter().map(|(name, module)| async move {
            let health = match module.source {
                HealthSource::Reported {
                    status,
                    message,
                    at,
                } => ModuleHealth {
                    status,
                    message,
                    last_check: at,
                    required: module.required,
                },
                HealthSource::Check(check) => run_check(check, module.required).await,
            };
            (name, health)
        });
        let results: BTreeMap<String, ModuleHealth> = futures::future::join_all(checks)
            .await
            .into_iter()
            .collect();
        (overall_status(&results), results)
    }
}

async fn run_check(check: CheckFunction, required: bool) -> ModuleHealth {
    let (status, message) = match tokio::time::timeout(CHECK_TIMEOUT, check()).await {
        Ok(Ok(message)) => (HealthStatus::Up, message),
        Ok(Err(message)) => (HealthStatus::Down, message),
        Err(_) => (
            HealthStatus::Down,
            format!("no answer within {} s", CHECK_TIMEOUT.as_secs()),
        ),
    };
    ModuleHealth {
        status,
        message,
        last_check: Utc::now(),
        required,
    }
}

fn overall_status(modules: &BTreeMap<String, ModuleHealth>) -> HealthStatus {
    if modules
        .values()
        .any(|module| module.required && module.status == HealthStatus::Down)
    {
        return HealthStatus::Down;
    }
    if modules
        .values()
        .any(|module| module.status != HealthStatus::Up)
    {
        return HealthStatus::Degraded;
    }
    HealthStatus::Up
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_required_module_down_makes_the_node_down_and_an_optional_one_degraded() {
        let registry = HealthRegistry::default();
        registry.register_check("store", true, || async { Ok("sqlite".to_string()) });
        registry.report("config", false, HealthStatus::Up, "loaded");
        assert_eq!(registry.check_all().await.0, HealthStatus::Up);

        registry.report("config", false, HealthStatus::Degraded, "reload rejected");
        assert_eq!(registry.check_all().await.0, HealthStatus::Degraded);

        registry.register_check("store", true, || async {
            Err("connection refused".to_string())
        });
        let (status, modules) = registry.check_all().await;
        assert_eq!(status, HealthStatus::Down);
        assert_eq!(modules["store"].message, "connection refused");
    }

    #[tokio::test]
    async fn a_check_that_hangs_counts_as_down() {
        let registry = HealthRegistry::default();
        registry.register_check("bus", true, || async {
            tokio::time::sleep(Duration::from_secs(60)).await;
            Ok(String::new())
        });
        let (status, modules) = registry.check_all().await;
        assert_eq!(status, HealthStatus::Down);
        assert!(modules["bus"].message.contains("no answer"));
    }
}
