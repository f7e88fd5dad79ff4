//! The `None` reload plugin: for Telegraf started with `--watch-config`, which notices new
//! files by itself; reloading does nothing.

use serde::Deserialize;

use crate::error::AutodeployError;
use crate::reload::TelegrafReloader;

/// The sample configuration, parsed and built by the conformance test.
pub const NONE_SAMPLE_TOML: &str = include_str!("none.sample.toml");

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoReloadConfig {}

/// Does nothing on reload.
#[derive(Debug, Clone, Default)]
pub struct NoReloader;

impl NoReloader {
    pub fn new(_config: NoReloadConfig) -> NoReloader {
        NoReloader
    }
}

impl TelegrafReloader for NoReloader {
    fn name(&self) -> &'static str {
        "none"
    }

    fn reload(&self) -> Result<(), AutodeployError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reload::{ReloadConfig, check_reload_sample_conformance};

    #[test]
    fn sample_parses_builds_and_names_the_none_plugin() {
        check_reload_sample_conformance(NONE_SAMPLE_TOML, "none").unwrap();
    }

    #[test]
    fn unknown_keys_in_the_none_plugin_are_refused() {
        let result = toml::from_str::<ReloadConfig>("type = \"None\"\nargv = [\"x\"]\n");
        assert!(
            result.is_err(),
            "an unknown key must not be ignored: {result:?}"
        );
    }
}
