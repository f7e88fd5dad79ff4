//! The executor's limits around runs: concurrency (overall, per action, per concurrency key)
//! and cooldowns. All in memory: they bound what this process does at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedMutexGuard, OwnedSemaphorePermit, Semaphore};

/// Permits of one running action; dropping it frees them.
pub struct RunPermits {
    _overall: OwnedSemaphorePermit,
    _per_action: OwnedSemaphorePermit,
    _concurrency_key: Option<OwnedMutexGuard<()>>,
}

/// Semaphores for every run and for each action's runs, plus one lock per concurrency key.
pub struct ConcurrencyLimits {
    overall: Arc<Semaphore>,
    per_action_limit: usize,
    per_action: Mutex<HashMap<String, Arc<Semaphore>>>,
    concurrency_keys: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl ConcurrencyLimits {
    pub fn new(max_concurrent_runs: usize, max_concurrent_runs_per_action: usize) -> Self {
        ConcurrencyLimits {
            overall: Arc::new(Semaphore::new(max_concurrent_runs.max(1))),
            per_action_limit: max_concurrent_runs_per_action.max(1),
            per_action: Mutex::new(HashMap::new()),
            concurrency_keys: Mutex::new(HashMap::new()),
        }
    }

    /// Waits for a run slot of `action` (and the key's lock, when there is a key).
    pub async fn acquire(&self, action: &str, concurrency_key: Option<&str>) -> RunPermits {
        let key_lock = concurrency_key.map(|key| self.key_lock(key));
        let concurrency_key = match key_lock {
            Some(lock) => Some(lock.lock_owned().await),
            None => None,
        };
        let action_semaphore = self.action_semaphore(action);
        let per_action = action_semaphore
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        let overall = self
            .overall
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        RunPermits {
            _overall: overall,
            _per_action: per_action,
            _concurrency_key: concurrency_key,
        }
    }

    fn action_semaphore(&self, action: &str) -> Arc<Semaphore> {
        let mut per_action = self.per_action.lock().expect("limits lock");
        per_action
            .entry(action.to_string())
            .or_insert_with(|| Arc::new(Semaphore::new(self.per_action_limit)))
            .clone()
    }

    fn key_lock(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.concurrency_keys.lock().expect("limits lock");
        // Locks nobody holds or waits for are dropped, so the map stays small.
        locks.retain(|_, lock| Arc::strong_count(lock) > 1);
        locks.entry(key.to_string()).or_default().clone()
    }
}

/// When each (rule, scope) last ran, to skip triggers within its cooldown.
#[derive(Default)]
pub struct Cooldowns {
    last_started: Mutex<HashMap<(String, String), (Instant, Duration)>>,
}

impl Cooldowns {
    /// Whether the rule ran for `scope` less than its cooldown ago; if not, starts a new
    /// cooldown now (a zero cooldown never blocks).
    pub fn check_and_start(&self, rule_id: &str, scope: &str, cooldown: Duration) -> bool {
        if cooldown.is_zero() {
            return false;
        }
        let now = Instant::now();
        let mut last_started = self.last_started.lock().expect("cooldown lock");
        last_started.retain(|_, (started, length)| now.duration_since(*started) < *length);
        let key = (rule_id.to_string(), scope.to_string());
        if last_started.contains_key(&key) {
            return true;
        }
        last_started.insert(key, (now, cooldown));
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cooldown_skips_repeats_of_the_same_scope_only() {
        let cooldowns = Cooldowns::default();
        let minute = Duration::from_secs(60);
        assert!(!cooldowns.check_and_start("restart", "line-3", minute));
        assert!(cooldowns.check_and_start("restart", "line-3", minute));
        assert!(!cooldowns.check_and_start("restart", "line-4", minute));
        assert!(!cooldowns.check_and_start("other", "line-3", minute));
        assert!(!cooldowns.check_and_start("none", "x", Duration::ZERO));
        assert!(!cooldowns.check_and_start("none", "x", Duration::ZERO));
    }

    #[tokio::test]
    async fn the_per_action_limit_holds_runs_back() {
        let limits = Arc::new(ConcurrencyLimits::new(10, 1));
        let first = limits.acquire("restart", None).await;
        let waiting = tokio::spawn({
            let limits = limits.clone();
            async move {
                let _permits = limits.acquire("restart", None).await;
            }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished());
        let _other_action = limits.acquire("webhook", None).await;
        drop(first);
        tokio::time::timeout(Duration::from_secs(2), waiting)
            .await
            .unwrap()
            .unwrap();
    }
}
