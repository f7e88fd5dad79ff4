//! Retry timing and rate limits around the channels, both pure: exponential backoff with full
//! jitter (capped, and never shorter than the peer's `Retry-After`), and a token bucket per
//! channel that takes the caller's `now`.

use std::collections::HashMap;
use std::time::Duration;

use crate::config::{RateLimitConfig, RetryConfig};
use crate::error::ChannelError;

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    /// Try again after this long.
    RetryAfter(Duration),
    /// Do not try again: the error is final or the attempts are used up.
    GiveUp,
}

/// The decision after attempt number `attempts` (1 for the first) failed with `error`.
/// `jitter` in `[0, 1)` picks the delay inside the backoff window (full jitter).
pub fn retry_decision(
    config: &RetryConfig,
    error: &ChannelError,
    attempts: u32,
    jitter: f64,
) -> RetryDecision {
    if !error.is_retryable() || attempts >= config.max_attempts {
        return RetryDecision::GiveUp;
    }
    let delay = backoff(config, attempts, jitter);
    let delay = match error.retry_after() {
        Some(asked) => delay.max(asked),
        None => delay,
    };
    RetryDecision::RetryAfter(delay)
}

/// The backoff before retry number `attempts`: a uniformly jittered delay in
/// `[window / 2, window]`, where `window = min(max, initial * 2^(attempts - 1))`.
pub fn backoff(config: &RetryConfig, attempts: u32, jitter: f64) -> Duration {
    let exponent = attempts.saturating_sub(1).min(30);
    let window_ms = config
        .initial_backoff_ms
        .saturating_mul(1_u64 << exponent)
        .min(config.max_backoff_ms);
    let jitter = jitter.clamp(0.0, 1.0);
    let half_window = window_ms / 2;
    let jittered = half_window + ((window_ms - half_window) as f64 * jitter) as u64;
    Duration::from_millis(jittered.min(window_ms))
}

/// A random number in `[0, 1)` for [`backoff`]'s jitter (from a v4 uuid's random bits).
pub fn random_jitter() -> f64 {
    let bits = uuid::Uuid::new_v4().as_u128() as u64 >> 11;
    bits as f64 / (1_u64 << 53) as f64
}

/// Token buckets per channel name.
#[derive(Debug)]
pub struct RateLimiter {
    config: RateLimitConfig,
    buckets: HashMap<String, Bucket>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated_at_ms: i64,
}

impl RateLimiter {
    pub fn new(config: RateLimitConfig) -> Self {
        RateLimiter {
            config,
            buckets: HashMap::new(),
        }
    }

    /// Takes a token for `channel` at `now_ms`; `Err(wait)` says when the next one comes.
    pub fn try_acquire(&mut self, channel: &str, now_ms: i64) -> Result<(), Duration> {
        let burst = f64::from(self.config.burst.max(1));
        let per_ms = f64::from(self.config.per_minute.max(1)) / 60_000.0;
        let bucket = self.buckets.entry(channel.to_string()).or_insert(Bucket {
            tokens: burst,
            updated_at_ms: now_ms,
        });
        let elapsed_ms = (now_ms - bucket.updated_at_ms).max(0) as f64;
        bucket.tokens = (bucket.tokens + elapsed_ms * per_ms).min(burst);
        bucket.updated_at_ms = bucket.updated_at_ms.max(now_ms);
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            return Ok(());
        }
        let missing = 1.0 - bucket.tokens;
        Err(Duration::from_millis((missing / per_ms).ceil() as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http_error(status: u16, retry_after: Option<Duration>) -> ChannelError {
        ChannelError::HttpStatus {
            channel: "ops".to_string(),
            peer: "127.0.0.1".to_string(),
            status,
            body: String::new(),
            retry_after,
        }
    }

    const CONFIG: RetryConfig = RetryConfig {
        max_attempts: 5,
        initial_backoff_ms: 1_000,
        max_backoff_ms: 10_000,
    };

    #[test]
    fn the_backoff_doubles_within_jitter_bounds_and_is_capped() {
        for attempts in 1..=8 {
            let window = (1_000_u64 << (attempts - 1)).min(10_000);
            for jitter in [0.0, 0.25, 0.5, 0.999, 1.0] {
                let delay = backoff(&CONFIG, attempts, jitter).as_millis() as u64;
                assert!(
                    delay >= window / 2 && delay <= window,
                    "{attempts} {jitter} {delay}"
                );
            }
        }
        assert_eq!(backoff(&CONFIG, 60, 1.0), Duration::from_secs(10));
        for _ in 0..100 {
            let jitter = random_jitter();
            assert!((0.0..1.0).contains(&jitter));
        }
    }

    #[test]
    fn final_errors_and_used_up_attempts_give_up() {
        for status in [400, 403, 404, 410] {
            assert_eq!(
                retry_decision(&CONFIG, &http_error(status, None), 1, 0.5),
                RetryDecision::GiveUp
            );
        }
        assert!(matches!(
            retry_decision(&CONFIG, &http_error(503, None), 4, 0.5),
            RetryDecision::RetryAfter(_)
        ));
        assert_eq!(
            retry_decision(&CONFIG, &http_error(503, None), 5, 0.5),
            RetryDecision::GiveUp
        );
    }

    #[test]
    fn retry_after_is_honoured_as_a_minimum() {
        let asked = Duration::from_secs(42);
        assert_eq!(
            retry_decision(&CONFIG, &http_error(429, Some(asked)), 1, 0.0),
            RetryDecision::RetryAfter(asked)
        );
        let short = Duration::from_millis(10);
        let RetryDecision::RetryAfter(delay) =
            retry_decision(&CONFIG, &http_error(429, Some(short)), 3, 0.0)
        else {
            panic!("429 is retryable");
        };
        assert_eq!(delay, Duration::from_secs(2));
    }

    #[test]
    fn the_token_bucket_allows_a_burst_then_refills() {
        let mut limiter = RateLimiter::new(RateLimitConfig {
            per_minute: 60,
            burst: 2,
        });
        assert!(limiter.try_acquire("ops", 0).is_ok());
        assert!(limiter.try_acquire("ops", 0).is_ok());
        assert_eq!(limiter.try_acquire("ops", 0), Err(Duration::from_secs(1)));
        assert!(
            limiter.try_acquire("other", 0).is_ok(),
            "buckets are per channel"
        );
        assert_eq!(
            limiter.try_acquire("ops", 500),
            Err(Duration::from_millis(500))
        );
        assert!(limiter.try_acquire("ops", 1_000).is_ok());
        assert!(limiter.try_acquire("ops", 1_000).is_err());
    }
}
