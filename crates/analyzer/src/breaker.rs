//! Circuit breaker in front of the anomaly service.
//!
//! Closed: calls pass; `failure_threshold` consecutive service failures open it. Open: calls
//! fail at once until `open_for` has passed, then one probe is let through (half-open). The
//! probe's success closes the circuit; its failure opens it again for another `open_for`.
//! Only failures that say the service is unwell count (timeouts, refused connections, 5xx);
//! a 4xx answer means the service is up. Time is passed in, so the breaker is testable.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Serialize;

/// What the breaker lets through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakerState {
    Closed,
    Open,
    HalfOpen,
}

#[derive(Debug)]
struct Inner {
    state: BreakerState,
    consecutive_failures: u32,
    opened_at: Option<Instant>,
    probe_in_flight: bool,
    last_error: Option<String>,
}

#[derive(Debug)]
pub struct CircuitBreaker {
    failure_threshold: u32,
    open_for: Duration,
    inner: Mutex<Inner>,
}

/// A call refused because the circuit is open.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejected {
    pub retry_in: Duration,
    pub last_error: String,
}

impl CircuitBreaker {
    pub fn new(failure_threshold: u32, open_for: Duration) -> CircuitBreaker {
        CircuitBreaker {
            failure_threshold: failure_threshold.max(1),
            open_for,
            inner: Mutex::new(Inner {
                state: BreakerState::Closed,
                consecutive_failures: 0,
                opened_at: None,
                probe_in_flight: false,
                last_error: None,
            }),
        }
    }

    /// Whether a call may go out now; when the open period is over, the first caller becomes
    /// the half-open probe and the others keep being refused until it reports.
    pub fn admit(&self, now: Instant) -> Result<(), Rejected> {
        let mut inner = self.inner.lock().expect("breaker lock");
        match inner.state {
            BreakerState::Closed => Ok(()),
            BreakerState::Open | BreakerState::HalfOpen => {
                let opened_at = inner.opened_at.unwrap_or(now);
                let reopen_at = opened_at + self.open_for;
                if now >= reopen_at && !inner.probe_in_flight {
                    inner.state = BreakerState::HalfOpen;
                    inner.probe_in_flight = true;
                    return Ok(());
                }
                Err(Rejected {
                    retry_in: reopen_at.saturating_duration_since(now),
                    last_error: inner.last_error.clone().unwrap_or_default(),
                })
            }
        }
    }

    pub fn record_success(&self) {
        let mut inner = self.inner.lock().expect("breaker lock");
        inner.state = BreakerState::Closed;
        inner.consecutive_failures = 0;
        inner.opened_at = None;
        inner.probe_in_flight = false;
    }

    pub fn record_failure(&self, now: Instant, error: &str) {
        let mut inner = self.inner.lock().expect("breaker lock");
        inner.last_error = Some(error.to_string());
        inner.consecutive_failures = inner.consecutive_failures.saturating_add(1);
        let probe_failed = inner.state == BreakerState::HalfOpen;
        if probe_failed || inner.consecutive_failures >= self.failure_threshold {
            if inner.state == BreakerState::Closed {
                tracing::warn!(error, "anomaly service circuit opened");
            }
            inner.state = BreakerState::Open;
            inner.opened_at = Some(now);
        }
        inner.probe_in_flight = false;
    }

    pub fn state(&self) -> BreakerState {
        self.inner.lock().expect("breaker lock").state
    }

    /// The last service failure seen, while the circuit is not closed.
    pub fn last_error(&self) -> Option<String> {
        let inner = self.inner.lock().expect("breaker lock");
        (inner.state != BreakerState::Closed)
            .then(|| inner.last_error.clone())
            .flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_breaker_opens_after_the_threshold_probes_once_and_closes_on_success() {
        let breaker = CircuitBreaker::new(2, Duration::from_secs(10));
        let start = Instant::now();
        breaker.record_failure(start, "refused");
        assert_eq!(breaker.state(), BreakerState::Closed);
        breaker.record_failure(start, "refused");
        assert_eq!(breaker.state(), BreakerState::Open);
        let rejected = breaker.admit(start + Duration::from_secs(4)).unwrap_err();
        assert_eq!(rejected.retry_in, Duration::from_secs(6));
        assert_eq!(rejected.last_error, "refused");

        let later = start + Duration::from_secs(10);
        breaker.admit(later).unwrap();
        assert_eq!(breaker.state(), BreakerState::HalfOpen);
        assert!(breaker.admit(later).is_err(), "one probe at a time");
        breaker.record_failure(later, "still refused");
        assert_eq!(breaker.state(), BreakerState::Open);

        let after = later + Duration::from_secs(10);
        breaker.admit(after).unwrap();
        breaker.record_success();
        assert_eq!(breaker.state(), BreakerState::Closed);
        assert_eq!(breaker.last_error(), None);
        breaker.admit(after).unwrap();
    }
}
