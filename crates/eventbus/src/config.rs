//! The `[bus]` section of `conf/detectviz.conf`: which backend, where it lives, and the
//! delivery and retention limits both backends apply the same way.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The `[bus]` section with every key at its default and a comment, for `conf/detectviz.conf`.
pub const SAMPLE_CONFIG: &str = include_str!("../bus.sample.toml");

/// Which storage carries the streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum BusBackend {
    /// A SQLite file beside the process: the single-node default, no server needed.
    #[default]
    Embedded,
    /// Redis Streams, shared by every node of a multi-node installation.
    Redis,
}

/// Settings of the event bus.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BusConfig {
    pub backend: BusBackend,
    /// SQLite file of the embedded backend.
    pub embedded_path: PathBuf,
    /// Redis URL of the redis backend; may carry a password, which is never printed.
    pub redis_url: String,
    /// After this many deliveries without an ack an entry moves to `<stream>:dead`.
    pub max_deliveries: u32,
    /// A pending entry idle this long is claimed by another live consumer of its group.
    pub claim_idle_ms: u64,
    /// How long a consumer waits before it retries an entry its handler failed on.
    pub retry_delay_ms: u64,
    /// Keep at most this many entries per stream (0 = no limit). Trimming on publish is
    /// approximate (it may keep a little more); `EventBus::trim` is exact.
    pub retention_max_len: u64,
    /// Drop entries older than this many seconds (0 = keep forever): the spec's message TTL.
    pub retention_max_age_s: u64,
    /// Most entries one read hands to a subscriber.
    pub read_batch_size: usize,
    /// How long one blocking read waits for new entries.
    pub block_ms: u64,
    /// How often the embedded backend looks for entries written by another process.
    pub embedded_poll_ms: u64,
}

impl Default for BusConfig {
    fn default() -> BusConfig {
        BusConfig {
            backend: BusBackend::Embedded,
            embedded_path: PathBuf::from("data/bus.db"),
            redis_url: "redis://127.0.0.1:6379".to_string(),
            max_deliveries: 5,
            claim_idle_ms: 30_000,
            retry_delay_ms: 1_000,
            retention_max_len: 100_000,
            retention_max_age_s: 604_800,
            read_batch_size: 256,
            block_ms: 2_000,
            embedded_poll_ms: 100,
        }
    }
}

impl BusConfig {
    /// Checks the values that would make the bus misbehave rather than fail.
    pub fn validate(&self) -> Result<(), String> {
        if self.max_deliveries == 0 {
            return Err("bus.max_deliveries must be at least 1".to_string());
        }
        if self.read_batch_size == 0 {
            return Err("bus.read_batch_size must be at least 1".to_string());
        }
        if self.block_ms == 0 {
            return Err("bus.block_ms must be at least 1".to_string());
        }
        if self.backend == BusBackend::Redis && self.redis_url.trim().is_empty() {
            return Err("bus.redis_url must be set when bus.backend = \"redis\"".to_string());
        }
        Ok(())
    }

    pub(crate) fn max_age(&self) -> Option<Duration> {
        (self.retention_max_age_s > 0).then(|| Duration::from_secs(self.retention_max_age_s))
    }

    pub(crate) fn max_len(&self) -> Option<u64> {
        (self.retention_max_len > 0).then_some(self.retention_max_len)
    }
}

impl fmt::Debug for BusConfig {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("BusConfig")
            .field("backend", &self.backend)
            .field("embedded_path", &self.embedded_path)
            .field("redis_url", &redact_password(&self.redis_url))
            .field("max_deliveries", &self.max_deliveries)
            .field("claim_idle_ms", &self.claim_idle_ms)
            .field("retry_delay_ms", &self.retry_delay_ms)
            .field("retention_max_len", &self.retention_max_len)
            .field("retention_max_age_s", &self.retention_max_age_s)
            .field("read_batch_size", &self.read_batch_size)
            .field("block_ms", &self.block_ms)
            .field("embedded_poll_ms", &self.embedded_poll_ms)
            .finish()
    }
}

/// `redis://user:secret@host` becomes `redis://user:***@host`.
fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let Some((credentials, host)) = rest.rsplit_once('@') else {
        return url.to_string();
    };
    let user = credentials.split(':').next().unwrap_or_default();
    format!("{scheme}://{user}:***@{host}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bus_section_parses_with_defaults_and_rejects_unknown_keys() {
        let config: BusConfig = serde_json::from_str(r#"{"backend": "redis"}"#).unwrap();
        assert_eq!(config.backend, BusBackend::Redis);
        assert_eq!(config.max_deliveries, 5);
        let error = serde_json::from_str::<BusConfig>(r#"{"bakend": "redis"}"#).unwrap_err();
        assert!(error.to_string().contains("bakend"), "{error}");
    }

    #[test]
    fn the_sample_section_parses_to_the_defaults() {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Sample {
            bus: BusConfig,
        }
        let sample: Sample = toml::from_str(SAMPLE_CONFIG).unwrap();
        assert_eq!(sample.bus, BusConfig::default());
        sample.bus.validate().unwrap();
    }

    #[test]
    fn debug_output_hides_the_redis_password() {
        let config = BusConfig {
            redis_url: "redis://app:hunter2@redis:6379/0".to_string(),
            ..BusConfig::default()
        };
        let printed = format!("{config:?}");
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(
            printed.contains("redis://app:***@redis:6379/0"),
            "{printed}"
        );
    }

    #[test]
    fn zero_deliveries_is_rejected() {
        let config = BusConfig {
            max_deliveries: 0,
            ..BusConfig::default()
        };
        assert!(config.validate().unwrap_err().contains("max_deliveries"));
    }
}
