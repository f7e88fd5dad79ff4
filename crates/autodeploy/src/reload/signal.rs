//! The `Signal` reload plugin: reads Telegraf's pid from a pid file and sends it a signal
//! (`HUP` by default, which makes Telegraf reload its configuration).

use std::path::PathBuf;

use serde::Deserialize;

use crate::error::AutodeployError;
use crate::reload::TelegrafReloader;

/// The sample configuration, parsed and built by the conformance test.
pub const SIGNAL_SAMPLE_TOML: &str = include_str!("signal.sample.toml");

const PLUGIN_NAME: &str = "signal";

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignalReloadConfig {
    pub pid_file: PathBuf,
    /// `HUP`, `USR1` or `USR2` (a `SIG` prefix is accepted).
    #[serde(default = "default_signal")]
    pub signal: String,
}

fn default_signal() -> String {
    "HUP".to_string()
}

/// Signals the process named by the pid file once per reload.
#[derive(Debug, Clone)]
pub struct SignalReloader {
    pid_file: PathBuf,
    signal_number: libc::c_int,
}

fn signal_number(name: &str) -> Option<libc::c_int> {
    match name.trim().trim_start_matches("SIG") {
        "HUP" => Some(libc::SIGHUP),
        "USR1" => Some(libc::SIGUSR1),
        "USR2" => Some(libc::SIGUSR2),
        _ => None,
    }
}

impl SignalReloader {
    pub fn new(config: SignalReloadConfig) -> Result<SignalReloader, AutodeployError> {
        let signal_number =
            signal_number(&config.signal).ok_or_else(|| AutodeployError::Reload {
                method: PLUGIN_NAME,
                reason: format!("signal `{}` is not one of HUP, USR1, USR2", config.signal),
            })?;
        Ok(SignalReloader {
            pid_file: config.pid_file,
            signal_number,
        })
    }

    fn read_pid(&self) -> Result<libc::pid_t, AutodeployError> {
        let text =
            std::fs::read_to_string(&self.pid_file).map_err(|error| AutodeployError::Reload {
                method: PLUGIN_NAME,
                reason: format!("cannot read pid file {}: {error}", self.pid_file.display()),
            })?;
        text.trim()
            .parse::<libc::pid_t>()
            .ok()
            .filter(|pid| *pid > 1)
            .ok_or_else(|| AutodeployError::Reload {
                method: PLUGIN_NAME,
                reason: format!(
                    "pid file {} does not hold a process id above 1",
                    self.pid_file.display()
                ),
            })
    }
}

impl TelegrafReloader for SignalReloader {
    fn name(&self) -> &'static str {
        PLUGIN_NAME
    }

    fn reload(&self) -> Result<(), AutodeployError> {
        let pid = self.read_pid()?;
        // SAFETY: kill(2) only sends a signal; the pid is positive and above 1, so it names one
        // process, never a process group or every process.
        let result = unsafe { libc::kill(pid, self.signal_number) };
        if result == 0 {
            return Ok(());
        }
        Err(AutodeployError::Reload {
            method: PLUGIN_NAME,
            reason: format!(
                "cannot signal pid {pid}: {}",
                std::io::Error::last_os_error()
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reload::check_reload_sample_conformance;

    #[test]
    fn sample_parses_builds_and_names_the_signal_plugin() {
        check_reload_sample_conformance(SIGNAL_SAMPLE_TOML, "signal").unwrap();
    }

    #[test]
    fn an_unknown_signal_is_refused_when_building() {
        let config = SignalReloadConfig {
            pid_file: "/run/telegraf.pid".into(),
            signal: "KILL".into(),
        };
        let error = SignalReloader::new(config).unwrap_err();
        assert!(error.to_string().contains("`KILL`"), "{error}");
    }

    #[test]
    fn a_pid_file_without_a_usable_pid_is_an_error() {
        let directory = tempfile::tempdir().unwrap();
        for content in ["", "abc", "1", "-5"] {
            let pid_file = directory.path().join("telegraf.pid");
            std::fs::write(&pid_file, content).unwrap();
            let reloader = SignalReloader::new(SignalReloadConfig {
                pid_file,
                signal: "HUP".into(),
            })
            .unwrap();
            let error = reloader.reload().unwrap_err();
            assert!(
                error.to_string().contains("pid file"),
                "content {content:?}: {error}"
            );
        }
    }
}
