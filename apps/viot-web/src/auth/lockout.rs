//! Login rate limit: too many failed logins for one username or from one address lock them
//! out for a while. Kept in memory per node (a restart forgets, which errs on the side of
//! letting an operator back in).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct LoginLockout {
    max_failures: u32,
    window: Duration,
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl LoginLockout {
    pub fn new(max_failures: u32, window: Duration) -> LoginLockout {
        LoginLockout {
            max_failures,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// `Some(remaining)` while any of `keys` is locked out.
    pub fn locked_for(&self, keys: &[String], now: Instant) -> Option<Duration> {
        let mut failures = self.failures.lock().expect("lockout lock");
        keys.iter()
            .filter_map(|key| {
                let attempts = failures.get_mut(key)?;
                attempts.retain(|at| now.duration_since(*at) < self.window);
                if (attempts.len() as u32) < self.max_failures {
                    return None;
                }
                let oldest = attempts.iter().min()?;
                Some(self.window.saturating_sub(now.duration_since(*oldest)))
            })
            .max()
    }

    pub fn record_failure(&self, keys: &[String], now: Instant) {
        let mut failures = self.failures.lock().expect("lockout lock");
        for key in keys {
            failures.entry(key.clone()).or_default().push(now);
        }
    }

    pub fn record_success(&self, keys: &[String]) {
        let mut failures = self.failures.lock().expect("lockout lock");
        for key in keys {
            failures.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_failures_lock_out_until_the_window_passes() {
        let lockout = LoginLockout::new(3, Duration::from_secs(60));
        let keys = vec!["user:alice".to_string()];
        let start = Instant::now();
        for _ in 0..2 {
            lockout.record_failure(&keys, start);
        }
        assert_eq!(lockout.locked_for(&keys, start), None);
        lockout.record_failure(&keys, start);
        assert!(lockout.locked_for(&keys, start).is_some());
        assert_eq!(
            lockout.locked_for(&keys, start + Duration::from_secs(61)),
            None
        );
        lockout.record_failure(&keys, start);
        lockout.record_success(&keys);
        assert_eq!(lockout.locked_for(&keys, start), None);
    }
}
