//! Detectviz autodeploy, the file side: device profiles, Telegraf configuration generated
//! from typed structs, validation against the Telegraf option reference, staged deploys into
//! `telegraf.d` with snapshots, dry-run diffs, rollback and retention, and the reload plugins.
//!
//! Flow: [`ProfileCatalog::select_for`] picks a profile for a [`Device`];
//! [`generate_device_file`] and [`HealthcheckTarget::generate_file`] render files;
//! [`Deployer::deploy`] stages, validates ([`validate_telegraf_toml`]), snapshots, writes
//! (`.tmp` + rename) and returns the diff; a [`ReloadConfig`] plugin then tells Telegraf, and
//! [`deploy_and_reload`] rolls back when that reload fails.
//! Scanning lives in [`scan`]: [`scan::run_scan`] probes CIDR ranges over SNMP and Modbus,
//! [`scan::ScanRecorder`] stores devices and publishes new, changed and gone ones on
//! `dv:deploy`, [`scan::validate_device`] reads every profile field, and
//! [`scan::device_from_scan`] turns a found device into a [`Device`] for generation.

pub mod config;
pub mod deploy;
pub mod device;
pub mod error;
pub mod generate;
pub mod healthcheck;
pub mod profile;
pub mod reference;
pub mod reference_version;
pub mod reload;
pub mod rollout;
pub mod scan;
pub mod snapshot;
pub mod telegraf_config;
pub mod validate;
pub mod verify;

pub use config::{Autodeploy, AutodeployConfig};
pub use deploy::{DeployOptions, DeployOutcome, Deployer, DeployerConfig};
pub use device::{Device, DeviceProtocol, SnmpCredentialReference, SnmpSecurityLevel, SnmpVersion};
pub use error::AutodeployError;
pub use generate::{GenerateOptions, GeneratedFile, device_file_name, generate_device_file};
pub use healthcheck::{HealthcheckKind, HealthcheckTarget, parse_healthcheck_csv};
pub use profile::{Profile, ProfileCatalog};
pub use reference::{OptionKind, TelegrafReference, TelegrafVersion};
pub use reload::{ReloadConfig, TelegrafReloader};
pub use rollout::{deploy_and_reload, generate_deploy_set};
pub use snapshot::{SnapshotManifest, SnapshotStore};
pub use validate::{FieldFinding, ValidationReport, validate_telegraf_toml};
