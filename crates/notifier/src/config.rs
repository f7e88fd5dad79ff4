//! The `[notifier]` section: the route tree, receivers (named lists of channels), the
//! channels themselves, inhibition rules, maintenance windows, retry and rate-limit settings.
//!
//! ```toml
//! [notifier.route]
//! receiver = "oncall"
//! group_by = ["alertname"]
//!
//! [[notifier.receivers]]
//! name = "oncall"
//! channels = ["ops-webhook"]
//!
//! [[notifier.channels]]
//! type = "webhook"
//! name = "ops-webhook"
//! url = "https://hooks.plant-a.example/detectviz"
//! ```

use std::collections::BTreeSet;

use alert::{InhibitRule, MaintenanceWindow};
use serde::Deserialize;

use crate::channel::ChannelConfig;
use crate::error::NotifierError;
use crate::route::{RouteConfig, receivers_named};

/// The `[notifier]` section with every key and a comment, for `conf/detectviz.conf`.
pub const SAMPLE_CONFIG: &str = include_str!("../notifier.sample.toml");

/// The whole `[notifier]` section.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifierConfig {
    pub route: RouteConfig,
    #[serde(default)]
    pub receivers: Vec<ReceiverConfig>,
    #[serde(default)]
    pub channels: Vec<ChannelConfig>,
    #[serde(default)]
    pub inhibit_rules: Vec<InhibitRule>,
    #[serde(default)]
    pub maintenance_windows: Vec<MaintenanceWindow>,
    #[serde(default)]
    pub retry: RetryConfig,
    #[serde(default)]
    pub rate_limit: RateLimitConfig,
    /// Base URL of the console, for links in notifications.
    #[serde(default)]
    pub external_url: String,
    /// How often due notifications are looked for, in milliseconds.
    #[serde(default = "default_tick_ms")]
    pub tick_ms: u64,
    /// The longest one send may take before it counts as timed out (retryable).
    #[serde(default = "default_send_timeout_ms")]
    pub send_timeout_ms: u64,
}

fn default_tick_ms() -> u64 {
    1_000
}

fn default_send_timeout_ms() -> u64 {
    30_000
}

/// A receiver: a name routes use, and the channels that deliver to it. With
/// `contact_group`, the receiver is the group's active contacts: each is reached through
/// these channels at their own address (email, LINE id, Slack webhook), once each.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiverConfig {
    pub name: String,
    pub channels: Vec<String>,
    /// A contact group (stored contacts, `groups`) this receiver expands to.
    #[serde(default)]
    pub contact_group: Option<String>,
}

/// Retries of retryable channel errors: exponential backoff with full jitter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetryConfig {
    /// Attempts in all, the first included; then the notification is `failed`.
    pub max_attempts: u32,
    pub initial_backoff_ms: u64,
    pub max_backoff_ms: u64,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            max_attempts: 8,
            initial_backoff_ms: 1_000,
            max_backoff_ms: 300_000,
        }
    }
}

/// A token bucket per channel: `burst` sends at once, refilled at `per_minute`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitConfig {
    pub per_minute: u32,
    pub burst: u32,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        RateLimitConfig {
            per_minute: 60,
            burst: 10,
        }
    }
}

impl NotifierConfig {
    /// Checks the cross references: the root names a receiver, every receiver a route names
    /// exists, every channel a receiver names exists, names are unique.
    pub fn validate(&self) -> Result<(), NotifierError> {
        let invalid = |reason: String| Err(NotifierError::Config(reason));
        if self.route.receiver.as_deref().is_none_or(str::is_empty) {
            return invalid("the root route must name a receiver".to_string());
        }
        let mut receiver_names = BTreeSet::new();
        for receiver in &self.receivers {
            if !receiver_names.insert(receiver.name.as_str()) {
                return invalid(format!("receiver `{}` is defined twice", receiver.name));
            }
        }
        for name in receivers_named(&self.route) {
            if !receiver_names.contains(name) {
                return invalid(format!("a route names unknown receiver `{name}`"));
            }
        }
        let mut channel_names = BTreeSet::new();
        for channel in &self.channels {
            if !channel_names.insert(channel.name()) {
                return invalid(format!("channel `{}` is defined twice", channel.name()));
            }
        }
        for receiver in &self.receivers {
            for channel in &receiver.channels {
                if !channel_names.contains(channel.as_str()) {
                    return invalid(format!(
                        "receiver `{}` names unknown channel `{channel}`",
                        receiver.name
                    ));
                }
            }
        }
        if self.rate_limit.per_minute == 0 || self.rate_limit.burst == 0 {
            return invalid("rate_limit.per_minute and rate_limit.burst must be at least 1".into());
        }
        if self.send_timeout_ms == 0 {
            return invalid("send_timeout_ms must be at least 1".to_string());
        }
        if self.retry.max_attempts == 0 {
            return invalid("retry.max_attempts must be at least 1".to_string());
        }
        for window in &self.maintenance_windows {
            window
                .validate()
                .map_err(|error| NotifierError::Config(error.to_string()))?;
        }
        Ok(())
    }

    /// The receiver named `receiver`.
    pub fn receiver(&self, receiver: &str) -> Option<&ReceiverConfig> {
        self.receivers
            .iter()
            .find(|candidate| candidate.name == receiver)
    }

    /// The channel names of a receiver (empty for an unknown one).
    pub fn channels_of(&self, receiver: &str) -> &[String] {
        self.receivers
            .iter()
            .find(|candidate| candidate.name == receiver)
            .map_or(&[], |found| found.channels.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
        external_url = "https://detectviz.plant-a.example"
        [route]
        receiver = "oncall"
        group_by = ["alertname"]
        [[route.routes]]
        matchers = [{ name = "severity", op = "=", value = "critical" }]
        receiver = "pager"
        [[receivers]]
        name = "oncall"
        channels = ["ops-webhook"]
        [[receivers]]
        name = "pager"
        channels = ["ops-webhook"]
        [[channels]]
        type = "webhook"
        name = "ops-webhook"
        url = "http://127.0.0.1:9/hook"
        [retry]
        max_attempts = 3
        [[inhibit_rules]]
        source_matchers = [{ name = "alertname", op = "=", value = "DeviceDown" }]
        target_matchers = [{ name = "alertname", op = "=", value = "PortDown" }]
        equal = ["device"]
    "#;

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Sample {
        notifier: NotifierConfig,
    }

    #[test]
    fn the_sample_config_parses_validates_and_builds() {
        let sample: Sample = toml::from_str(SAMPLE_CONFIG).unwrap();
        sample.notifier.validate().unwrap();
        for channel in &sample.notifier.channels {
            channel.build().unwrap();
        }
        let routes = &sample.notifier.route.routes;
        assert!(routes[0].continue_matching);
        assert!(routes[1].active_time.is_some());
    }

    #[test]
    fn a_complete_config_parses_and_validates() {
        let config: NotifierConfig = toml::from_str(SAMPLE).unwrap();
        config.validate().unwrap();
        assert_eq!(config.retry.max_attempts, 3);
        assert_eq!(config.retry.initial_backoff_ms, 1_000);
        assert_eq!(config.channels_of("pager"), ["ops-webhook".to_string()]);
        assert!(config.channels_of("nobody").is_empty());
    }

    #[test]
    fn unknown_receivers_and_channels_are_rejected() {
        let unknown_receiver = SAMPLE.replace("receiver = \"pager\"", "receiver = \"pagr\"");
        let config: NotifierConfig = toml::from_str(&unknown_receiver).unwrap();
        let error = config.validate().unwrap_err().to_string();
        assert!(error.contains("unknown receiver `pagr`"), "{error}");
        let unknown_channel = SAMPLE.replace(
            "channels = [\"ops-webhook\"]\n        [[receivers]]",
            "channels = [\"ops-hook\"]\n        [[receivers]]",
        );
        let config: NotifierConfig = toml::from_str(&unknown_channel).unwrap();
        let error = config.validate().unwrap_err().to_string();
        assert!(error.contains("unknown channel `ops-hook`"), "{error}");
        let typo = SAMPLE.replace("[retry]", "[retry]\nmax_atempts = 2");
        assert!(toml::from_str::<NotifierConfig>(&typo).is_err());
    }
}
