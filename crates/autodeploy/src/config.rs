//! The `[autodeploy]` section of the Detectviz configuration: where Telegraf reads its files,
//! where snapshots go, which Telegraf version the option lists are checked against, how
//! Telegraf is reloaded and how long to wait for metrics from new devices, where profiles and
//! health-check targets live, and which SNMP credential sets generated files refer to.
//! [`AutodeployConfig::open`] turns it into the pieces a deploy needs.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::deploy::{Deployer, DeployerConfig};
use crate::error::AutodeployError;
use crate::profile::ProfileCatalog;
use crate::reference::{SHARED_DIRECTORY_VARIABLE, TelegrafReference, TelegrafVersion};
use crate::reload::{ReloadConfig, TelegrafReloader};
use crate::scan::SnmpCredential;

/// The sample section, parsed by a test.
pub const AUTODEPLOY_SAMPLE_TOML: &str = include_str!("../autodeploy.sample.toml");

/// `[autodeploy]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AutodeployConfig {
    /// Off: the deploy, snapshot and health-check routes answer 404.
    pub enabled: bool,
    /// The directory Telegraf loads with `--config-directory`.
    pub telegraf_directory: PathBuf,
    /// Snapshots of `telegraf_directory`; must be outside it.
    pub snapshot_directory: PathBuf,
    pub snapshot_retention: usize,
    /// The installed Telegraf version; options documented as newer are refused.
    pub telegraf_version: String,
    /// Run `<telegraf_binary> config check` on the staged set when the program exists
    /// (Telegraf 1.32 and later); empty: never.
    pub telegraf_binary: String,
    /// The folder holding Telegraf's option reference (`README.md`, `samples/*.conf`);
    /// empty: `$DETECTVIZ_SHARED_DIR/reference/telegraf`.
    pub telegraf_reference_directory: PathBuf,
    /// Device profiles (`*.toml`, with `generic.toml` as the fallback).
    pub profiles_directory: PathBuf,
    /// `name,url,method,expected_status,timeout_seconds` rows.
    pub healthcheck_targets_file: PathBuf,
    /// How Telegraf learns about new files.
    pub reload: ReloadConfig,
    /// Seconds to wait for metrics from newly deployed devices at ingest before rolling
    /// back by itself; 0 turns the check off.
    pub verify_timeout_s: u64,
    /// SNMP credential sets (without secrets): generated files refer to their `*_env`
    /// variables, and validation reads the secrets from the same variables.
    pub snmp_credentials: Vec<SnmpCredential>,
}

impl Default for AutodeployConfig {
    fn default() -> Self {
        AutodeployConfig {
            enabled: false,
            telegraf_directory: PathBuf::from("/etc/telegraf/telegraf.d"),
            snapshot_directory: PathBuf::from("data/telegraf-snapshots"),
            snapshot_retention: 20,
            telegraf_version: "1.32.0".to_string(),
            telegraf_binary: "telegraf".to_string(),
            telegraf_reference_directory: PathBuf::new(),
            profiles_directory: PathBuf::from("conf/provisioning/templates/telegraf"),
            healthcheck_targets_file: PathBuf::from("conf/healthcheck_targets.csv"),
            reload: ReloadConfig::default(),
            verify_timeout_s: 120,
            snmp_credentials: Vec::new(),
        }
    }
}

/// Everything a deploy needs, built from the configuration.
pub struct Autodeploy {
    pub deployer: Deployer,
    pub reloader: Box<dyn TelegrafReloader>,
    pub profiles: ProfileCatalog,
}

impl AutodeployConfig {
    /// Checks what the types cannot; an error names the key.
    pub fn validate(&self) -> Result<(), String> {
        if !self.enabled {
            return Ok(());
        }
        if self
            .snapshot_directory
            .starts_with(&self.telegraf_directory)
        {
            return Err(
                "autodeploy.snapshot_directory must be outside autodeploy.telegraf_directory (Telegraf would load the copies)"
                    .to_string(),
            );
        }
        if TelegrafVersion::parse(&self.telegraf_version).is_none() {
            return Err(format!(
                "autodeploy.telegraf_version `{}` is not a version such as 1.32.0",
                self.telegraf_version
            ));
        }
        if let Err(error) = self.reload.build() {
            return Err(format!("autodeploy.reload: {error}"));
        }
        Ok(())
    }

    /// The reference folder: the configured one, else `$DETECTVIZ_SHARED_DIR/reference/telegraf`.
    pub fn reference_directory(&self) -> Result<PathBuf, AutodeployError> {
        if !self.telegraf_reference_directory.as_os_str().is_empty() {
            return Ok(self.telegraf_reference_directory.clone());
        }
        match std::env::var_os(SHARED_DIRECTORY_VARIABLE) {
            Some(shared) => Ok(Path::new(&shared).join("reference").join("telegraf")),
            None => Err(AutodeployError::Reference {
                path: PathBuf::new(),
                reason: format!(
                    "set autodeploy.telegraf_reference_directory or {SHARED_DIRECTORY_VARIABLE}"
                ),
            }),
        }
    }

    /// Loads the reference and the profiles and builds the deployer and the reload plugin.
    pub fn open(&self) -> Result<Autodeploy, AutodeployError> {
        let mut reference = TelegrafReference::load_from(&self.reference_directory()?)?;
        reference.set_installed_version(TelegrafVersion::parse(&self.telegraf_version));
        let mut deployer = Deployer::new(
            DeployerConfig {
                telegraf_directory: self.telegraf_directory.clone(),
                snapshot_directory: self.snapshot_directory.clone(),
                snapshot_retention: self.snapshot_retention,
            },
            reference,
        )?;
        if !self.telegraf_binary.is_empty() {
            deployer.set_telegraf_binary(PathBuf::from(&self.telegraf_binary));
        }
        Ok(Autodeploy {
            deployer,
            reloader: self.reload.build()?,
            profiles: ProfileCatalog::load_directory(&self.profiles_directory)?,
        })
    }

    /// The configured credential sets with their secrets read from the environment
    /// variables they name (an unset variable leaves the secret empty).
    pub fn credentials_from_environment(&self) -> Vec<SnmpCredential> {
        let read = |name: &str| std::env::var(name).unwrap_or_default();
        self.snmp_credentials
            .iter()
            .map(|credential| {
                let mut credential = credential.clone();
                if credential.community.is_empty() {
                    credential.community = read(&credential.community_env);
                }
                if credential.auth_password.is_empty() {
                    credential.auth_password = read(&credential.auth_password_env);
                }
                if credential.privacy_password.is_empty() {
                    credential.privacy_password = read(&credential.privacy_password_env);
                }
                credential
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Wrapper {
        autodeploy: AutodeployConfig,
    }

    #[test]
    fn the_sample_parses_and_validates() {
        let wrapper: Wrapper = toml::from_str(AUTODEPLOY_SAMPLE_TOML).unwrap();
        let config = wrapper.autodeploy;
        config.validate().unwrap();
        assert!(config.enabled);
        assert!(matches!(config.reload, ReloadConfig::Signal(_)));
        assert_eq!(config.snmp_credentials.len(), 1);
    }

    #[test]
    fn bad_values_name_their_key() {
        let config = AutodeployConfig {
            enabled: true,
            snapshot_directory: PathBuf::from("/etc/telegraf/telegraf.d/snapshots"),
            ..AutodeployConfig::default()
        };
        assert!(
            config
                .validate()
                .unwrap_err()
                .contains("snapshot_directory")
        );
        let config = AutodeployConfig {
            enabled: true,
            telegraf_version: "latest".into(),
            ..AutodeployConfig::default()
        };
        assert!(config.validate().unwrap_err().contains("telegraf_version"));
        let unknown = toml::from_str::<Wrapper>("[autodeploy]\ntelegraf_dir = \"x\"\n");
        assert!(unknown.is_err());
    }
}
