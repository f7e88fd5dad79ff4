//! The Detectviz configuration: `conf/detectviz.conf` (TOML) with environment overrides.
//!
//! `load` reads and validates a file, `reload` watches it and applies valid changes to a
//! running server. Every section rejects unknown keys, and every error names the file, the
//! line and the key (or the environment variable) that was wrong.

mod load;
pub mod reload;

pub use load::{ConfigError, ENV_PREFIX, load_config, load_config_text};
pub use reload::{ConfigHandle, ReloadStatus, watch_config};

use std::net::SocketAddr;

use detectviz::Role;
use serde::{Deserialize, Serialize};

/// The commented default configuration, as shipped in `conf/detectviz.conf`.
pub const DEFAULT_CONFIG_TEXT: &str = include_str!("../../../../conf/detectviz.conf");

/// The whole configuration file.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub server: ServerConfig,
    pub log: LogConfig,
    pub node: NodeConfig,
    pub store: StoreConfig,
    pub auth: AuthConfig,
    pub secrets: SecretsConfig,
    pub bus: eventbus::BusConfig,
    pub ingest: IngestConfig,
    pub alert: AlertConfig,
    /// Notification routing and channels; absent means no notifications are sent.
    #[serde(skip_serializing)]
    pub notifier: Option<notifier::NotifierConfig>,
    /// Repair actions for alerts; off unless `enabled = true`.
    #[serde(skip_serializing)]
    pub automation: automation::AutomationConfig,
    /// The web console: where its pages live, defaults for language and time zone.
    #[serde(skip_serializing)]
    pub console: crate::console::ConsoleConfig,
    /// The anomaly service and model rules; off unless `enabled = true`.
    #[serde(skip_serializing)]
    pub analyzer: analyzer::AnalyzerConfig,
    /// Scheduled reports and report defaults; absent means on-demand reports only.
    #[serde(skip_serializing)]
    pub reporter: Option<reporter::ReporterConfig>,
    /// Telegraf deploys from scanned devices, snapshots, reload; off unless `enabled = true`.
    #[serde(skip_serializing)]
    pub autodeploy: autodeploy::AutodeployConfig,
    /// The roots the console's file and CSV editors may read and write.
    #[serde(skip_serializing)]
    pub files: crate::files::FilesConfig,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    pub listen: String,
    pub body_limit_bytes: usize,
    pub request_timeout_s: u64,
    pub shutdown_grace_s: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: "127.0.0.1:8080".into(),
            body_limit_bytes: 10 * 1024 * 1024,
            request_timeout_s: 30,
            shutdown_grace_s: 30,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Auto,
    Json,
    Text,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    pub level: String,
    pub format: LogFormat,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            level: "info".into(),
            format: LogFormat::Auto,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NodeConfig {
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    pub url: String,
    pub migrate_on_start: bool,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            url: "sqlite://data/detectviz.db".into(),
            migrate_on_start: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    pub session_idle_minutes: u64,
    pub cookie_secure: bool,
    pub max_failed_logins: u32,
    pub lockout_minutes: u64,
    pub metrics_public: bool,
    /// Sign-in through an OpenID provider (`[auth.oidc]`); off by default.
    pub oidc: crate::auth::oidc::OidcConfig,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            session_idle_minutes: 480,
            cookie_secure: false,
            max_failed_logins: 5,
            lockout_minutes: 15,
            metrics_public: false,
            oidc: crate::auth::oidc::OidcConfig::default(),
        }
    }
}

/// Where the key that seals stored secrets comes from (see `secret_store::key`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecretsConfig {
    /// File with the current key; `DETECTVIZ_SECRET_KEY` wins when set. Empty: none.
    pub key_file: String,
    /// File with the key before a rotation; `DETECTVIZ_SECRET_KEY_PREVIOUS` wins when set.
    pub previous_key_file: String,
}

/// A password or token from the config: its Debug form never shows it.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretText(pub String);

impl std::fmt::Debug for SecretText {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(if self.0.is_empty() { "\"\"" } else { "\"***\"" })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IngestConfig {
    pub samples_per_series: usize,
    pub max_series: usize,
    pub stale_series_minutes: u64,
    pub max_decompressed_bytes: usize,
    pub forward_influxdb_url: String,
    pub forward_influxdb_database: String,
    pub forward_influxdb_username: String,
    pub forward_influxdb_password: SecretText,
    pub forward_buffer_points: usize,
}

impl Default for IngestConfig {
    fn default() -> Self {
        IngestConfig {
            samples_per_series: 60,
            max_series: 100_000,
            stale_series_minutes: 60,
            max_decompressed_bytes: 64 * 1024 * 1024,
            forward_influxdb_url: String::new(),
            forward_influxdb_database: "telegraf".into(),
            forward_influxdb_username: String::new(),
            forward_influxdb_password: SecretText::default(),
            forward_buffer_points: 100_000,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertConfig {
    pub rules_files: Vec<String>,
    pub tick_interval_ms: u64,
}

impl Default for AlertConfig {
    fn default() -> Self {
        AlertConfig {
            rules_files: Vec::new(),
            tick_interval_ms: 1_000,
        }
    }
}

/// A value that parsed but makes no sense: the key and why.
#[derive(Debug, Clone, PartialEq)]
pub struct InvalidValue {
    /// Dotted key, such as `server.listen`.
    pub key: String,
    pub message: String,
}

impl Config {
    /// Checks values that the types alone cannot check.
    pub fn validate(&self) -> Result<(), InvalidValue> {
        if self.server.listen.parse::<SocketAddr>().is_err() {
            return Err(InvalidValue {
                key: "server.listen".into(),
                message: format!(
                    "{:?} is not HOST:PORT with an IP address, such as 127.0.0.1:8080",
                    self.server.listen
                ),
            });
        }
        if self.server.body_limit_bytes == 0 {
            return Err(InvalidValue {
                key: "server.body_limit_bytes".into(),
                message: "must be greater than 0".into(),
            });
        }
        if self.server.request_timeout_s == 0 {
            return Err(InvalidValue {
                key: "server.request_timeout_s".into(),
                message: "must be greater than 0".into(),
            });
        }
        if let Err(error) = tracing_subscriber::EnvFilter::try_new(&self.log.level) {
            return Err(InvalidValue {
                key: "log.level".into(),
                message: format!("{:?} is not a log level or filter: {error}", self.log.level),
            });
        }
        if self.auth.session_idle_minutes == 0 {
            return Err(InvalidValue {
                key: "auth.session_idle_minutes".into(),
                message: "must be greater than 0".into(),
            });
        }
        if self.auth.max_failed_logins == 0 {
            return Err(InvalidValue {
                key: "auth.max_failed_logins".into(),
                message: "must be greater than 0".into(),
            });
        }
        if let Err((key, message)) = self.auth.oidc.validate() {
            return Err(InvalidValue {
                key: format!("auth.oidc.{key}"),
                message,
            });
        }
        if let Err(message) = self.bus.validate() {
            // The bus names the key first: "bus.max_deliveries must be ...".
            let key = message
                .split_whitespace()
                .next()
                .unwrap_or("bus")
                .to_string();
            return Err(InvalidValue { key, message });
        }
        if self.ingest.samples_per_series == 0 || self.ingest.samples_per_series > 65_535 {
            return Err(InvalidValue {
                key: "ingest.samples_per_series".into(),
                message: "must be 1 to 65535".into(),
            });
        }
        if self.ingest.max_series == 0 {
            return Err(InvalidValue {
                key: "ingest.max_series".into(),
                message: "must be greater than 0".into(),
            });
        }
        let forward_url = &self.ingest.forward_influxdb_url;
        if !forward_url.is_empty() && !forward_url.starts_with("http://") {
            return Err(InvalidValue {
                key: "ingest.forward_influxdb_url".into(),
                message: "must be empty (off) or an http:// URL".into(),
            });
        }
        if self.alert.tick_interval_ms < 100 {
            return Err(InvalidValue {
                key: "alert.tick_interval_ms".into(),
                message: "must be at least 100".into(),
            });
        }
        if let Some(notifier) = &self.notifier
            && let Err(error) = notifier.validate()
        {
            return Err(InvalidValue {
                key: "notifier".into(),
                message: error.to_string(),
            });
        }
        if let Err(error) = automation::rule::validate_rules(&self.automation.rules) {
            return Err(InvalidValue {
                key: "automation.rules".into(),
                message: error.to_string(),
            });
        }
        if let Err(error) = self.analyzer.validate() {
            return Err(InvalidValue {
                key: "analyzer".into(),
                message: error.to_string(),
            });
        }
        if let Some(reporter) = &self.reporter
            && let Err(error) = reporter.validate()
        {
            return Err(InvalidValue {
                key: "reporter".into(),
                message: error.to_string(),
            });
        }
        if let Err(message) = self.autodeploy.validate() {
            return Err(InvalidValue {
                key: "autodeploy".into(),
                message,
            });
        }
        if let Err(message) = self.files.validate() {
            return Err(InvalidValue {
                key: "files".into(),
                message,
            });
        }
        let url = self.store.url.as_str();
        if !(url.starts_with("sqlite:")
            || url.starts_with("mysql://")
            || url.starts_with("mariadb://"))
        {
            return Err(InvalidValue {
                key: "store.url".into(),
                message: "must start with sqlite: or mysql:// (mariadb:// is accepted too)".into(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_show_in_debug_output() {
        let mut config = Config::default();
        config.ingest.forward_influxdb_password = SecretText("hunter2".into());
        assert!(!format!("{config:?}").contains("hunter2"));
    }

    #[test]
    fn the_shipped_config_file_parses_and_equals_the_defaults() {
        let config = load_config_text("conf/detectviz.conf", DEFAULT_CONFIG_TEXT, &[]).unwrap();
        assert_eq!(
            config,
            Config::default(),
            "conf/detectviz.conf must show every default"
        );
    }
}
