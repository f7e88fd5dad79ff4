//! The `Command` reload plugin: runs a program with arguments (no shell), such as
//! `["systemctl", "reload", "telegraf"]`, and fails when it exits unsuccessfully.

use serde::Deserialize;

use crate::error::AutodeployError;
use crate::reload::TelegrafReloader;

/// The sample configuration, parsed and built by the conformance test.
pub const COMMAND_SAMPLE_TOML: &str = include_str!("command.sample.toml");

const PLUGIN_NAME: &str = "command";

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandReloadConfig {
    /// Program and arguments; the program is looked up in `PATH` when it has no `/`.
    pub argv: Vec<String>,
}

/// Runs the configured program once per reload.
#[derive(Debug, Clone)]
pub struct CommandReloader {
    config: CommandReloadConfig,
}

impl CommandReloader {
    pub fn new(config: CommandReloadConfig) -> Result<CommandReloader, AutodeployError> {
        if config
            .argv
            .first()
            .is_none_or(|program| program.trim().is_empty())
        {
            return Err(AutodeployError::Reload {
                method: PLUGIN_NAME,
                reason: "argv must name a program".into(),
            });
        }
        Ok(CommandReloader { config })
    }
}

impl TelegrafReloader for CommandReloader {
    fn name(&self) -> &'static str {
        PLUGIN_NAME
    }

    fn reload(&self) -> Result<(), AutodeployError> {
        let program = &self.config.argv[0];
        let output = std::process::Command::new(program)
            .args(&self.config.argv[1..])
            .stdin(std::process::Stdio::null())
            .output()
            .map_err(|error| AutodeployError::Reload {
                method: PLUGIN_NAME,
                reason: format!("cannot start `{program}`: {error}"),
            })?;
        if output.status.success() {
            return Ok(());
        }
        let standard_error = String::from_utf8_lossy(&output.stderr);
        let excerpt: String = standard_error.trim().chars().take(300).collect();
        Err(AutodeployError::Reload {
            method: PLUGIN_NAME,
            reason: format!("`{program}` ended with {}: {excerpt}", output.status),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reload::check_reload_sample_conformance;

    #[test]
    fn sample_parses_builds_and_names_the_command_plugin() {
        check_reload_sample_conformance(COMMAND_SAMPLE_TOML, "command").unwrap();
    }

    #[test]
    fn an_empty_argv_is_refused_when_building() {
        let error = CommandReloader::new(CommandReloadConfig { argv: vec![] }).unwrap_err();
        assert!(
            error.to_string().contains("argv must name a program"),
            "{error}"
        );
    }

    #[test]
    fn a_failing_program_reports_its_exit_status_and_standard_error() {
        let argv = ["sh", "-c", "echo no such unit >&2; exit 3"]
            .map(String::from)
            .to_vec();
        let error = CommandReloader::new(CommandReloadConfig { argv })
            .unwrap()
            .reload()
            .unwrap_err();
        let message = error.to_string();
        assert!(
            message.contains("no such unit") && message.contains('3'),
            "{message}"
        );
        assert!(error.is_retryable());
    }

    #[test]
    fn a_missing_program_is_an_error_naming_it() {
        let argv = vec!["/nonexistent/detectviz-reload-program".to_string()];
        let error = CommandReloader::new(CommandReloadConfig { argv })
            .unwrap()
            .reload()
            .unwrap_err();
        assert!(
            error
                .to_string()
                .contains("/nonexistent/detectviz-reload-program"),
            "{error}"
        );
    }
}
