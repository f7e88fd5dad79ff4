//! The `[automation]` section of `conf/detectviz.conf`: whether the executor runs, its limits,
//! and the rules (`[[automation.rules]]`). See `automation.sample.toml`.

use serde::Deserialize;

use crate::error::ConfigError;
use crate::executor::ExecutorConfig;
use crate::rule::{AutomationRule, validate_rules};

/// The `[automation]` section with every key and a comment, for `conf/detectviz.conf`.
pub const SAMPLE_CONFIG: &str = include_str!("../automation.sample.toml");

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutomationConfig {
    /// Off by default: actions touch the plant, so they are switched on deliberately.
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub executor: ExecutorConfig,
    #[serde(default)]
    pub rules: Vec<AutomationRule>,
}

#[derive(Debug, Deserialize)]
struct ConfigFile {
    #[serde(default)]
    automation: AutomationConfig,
}

/// Reads the `[automation]` section of a TOML document (other sections are ignored) and checks
/// the rules. Actions are built, and so checked against the filesystem, by the executor.
pub fn parse_automation_config(text: &str) -> Result<AutomationConfig, ConfigError> {
    let file: ConfigFile =
        toml::from_str(text).map_err(|error| ConfigError::Parse(error.to_string()))?;
    validate_rules(&file.automation.rules)?;
    Ok(file.automation)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::ActionConfig;

    #[test]
    fn the_sample_parses_and_its_actions_build() {
        let config = parse_automation_config(SAMPLE_CONFIG).unwrap();
        assert!(!config.enabled);
        assert_eq!(config.executor.max_concurrent_runs, 8);
        assert_eq!(config.rules.len(), 4);
        assert!(config.rules[3].idempotent);
        assert_eq!(
            config.rules[0].notify.as_ref().unwrap().to,
            "plant-a-oncall"
        );
        let scripts = tempfile::tempdir().unwrap();
        for rule in config.rules {
            let mut action = rule.action;
            if let ActionConfig::Shell(shell) = &mut action {
                let script = scripts.path().join(&shell.script);
                std::fs::write(&script, "#!/bin/sh\n").unwrap();
                let mut permissions = std::fs::metadata(&script).unwrap().permissions();
                std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
                std::fs::set_permissions(&script, permissions).unwrap();
                shell.scripts_dir = scripts.path().to_path_buf();
            }
            action.build().unwrap();
        }
    }

    #[test]
    fn other_sections_are_ignored_and_errors_are_reported() {
        let config = parse_automation_config("[bus]\nbackend = \"redis\"\n").unwrap();
        assert!(config.rules.is_empty());
        let error = parse_automation_config("[automation]\nenable = true\n").unwrap_err();
        assert!(error.to_string().contains("enable"), "{error}");
    }
}
