//! Reload plugins: how Telegraf learns about new files after a deploy. One variant per
//! plugin in [`ReloadConfig`] (`type = "Command" | "Signal" | "None"`); `build()` returns the
//! plugin. A plugin makes exactly one attempt: no retries, sleeps or metrics (the pipeline
//! around it does those). Commands are argument vectors, never shell strings.

pub mod command;
pub mod none;
pub mod signal;

use serde::Deserialize;

use crate::error::AutodeployError;

pub use command::{CommandReloadConfig, CommandReloader};
pub use none::{NoReloadConfig, NoReloader};
pub use signal::{SignalReloadConfig, SignalReloader};

/// Tells Telegraf to read its configuration again.
pub trait TelegrafReloader: Send + Sync {
    /// The plugin's name for logs and errors.
    fn name(&self) -> &'static str;
    /// One reload attempt.
    fn reload(&self) -> Result<(), AutodeployError>;
}

/// The reload plugin family.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type")]
pub enum ReloadConfig {
    /// Run a program, e.g. `["systemctl", "reload", "telegraf"]`.
    Command(CommandReloadConfig),
    /// Send a signal (HUP by default) to the pid in a pid file.
    Signal(SignalReloadConfig),
    /// Telegraf runs with `--watch-config` and reloads by itself.
    None(NoReloadConfig),
}

impl Default for ReloadConfig {
    /// Telegraf with `--watch-config`: nothing to do.
    fn default() -> Self {
        ReloadConfig::None(NoReloadConfig::default())
    }
}

impl ReloadConfig {
    /// Check the configuration and build the plugin.
    pub fn build(&self) -> Result<Box<dyn TelegrafReloader>, AutodeployError> {
        match self {
            ReloadConfig::Command(config) => Ok(Box::new(CommandReloader::new(config.clone())?)),
            ReloadConfig::Signal(config) => Ok(Box::new(SignalReloader::new(config.clone())?)),
            ReloadConfig::None(config) => Ok(Box::new(NoReloader::new(config.clone()))),
        }
    }
}

/// Conformance check every reload plugin's sample goes through: the sample parses as a
/// [`ReloadConfig`], builds, and the built plugin carries the expected name.
pub fn check_reload_sample_conformance(
    sample_toml: &str,
    expected_name: &str,
) -> Result<(), String> {
    let config: ReloadConfig =
        toml::from_str(sample_toml).map_err(|error| format!("sample does not parse: {error}"))?;
    let reloader = config
        .build()
        .map_err(|error| format!("sample does not build: {error}"))?;
    if reloader.name() != expected_name {
        return Err(format!(
            "sample builds `{}`, expected `{expected_name}`",
            reloader.name()
        ));
    }
    Ok(())
}
