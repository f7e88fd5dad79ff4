//! The steps after generation, in order: build the whole set of files (devices and
//! health-check targets), deploy it, reload Telegraf, and roll back to the snapshot the
//! deploy took when the reload fails. Checking that metrics then arrive at ingest belongs to
//! the caller that can see ingest.

use crate::deploy::{DeployOptions, DeployOutcome, Deployer};
use crate::device::Device;
use crate::error::AutodeployError;
use crate::generate::{GenerateOptions, GeneratedFile, generate_device_file};
use crate::healthcheck::HealthcheckTarget;
use crate::profile::ProfileCatalog;
use crate::reload::TelegrafReloader;

/// Every file Detectviz wants in telegraf.d: one per device, one per health-check target.
pub fn generate_deploy_set(
    devices: &[Device],
    targets: &[HealthcheckTarget],
    profiles: &ProfileCatalog,
    options: &GenerateOptions,
) -> Result<Vec<GeneratedFile>, AutodeployError> {
    let mut files = Vec::with_capacity(devices.len() + targets.len());
    for device in devices {
        let profile = profiles.select_for(device)?;
        files.push(generate_device_file(device, profile, options)?);
    }
    for target in targets {
        files.push(target.generate_file()?);
    }
    Ok(files)
}

/// Deploy `files`; when something was written, reload once. If that reload fails, restore
/// the snapshot taken by the deploy, reload once more, and return
/// [`AutodeployError::RolledBack`]. Dry-runs and unchanged sets do not reload.
pub fn deploy_and_reload(
    deployer: &Deployer,
    reloader: &dyn TelegrafReloader,
    files: &[GeneratedFile],
    options: &DeployOptions,
) -> Result<DeployOutcome, AutodeployError> {
    let outcome = deployer.deploy(files, options)?;
    if !outcome.applied {
        return Ok(outcome);
    }
    let Err(reload_error) = reloader.reload() else {
        return Ok(outcome);
    };
    let Some(snapshot) = &outcome.snapshot else {
        return Err(reload_error);
    };
    deployer.rollback(&snapshot.id, &options.author)?;
    let after_rollback = match reloader.reload() {
        Ok(()) => String::new(),
        Err(error) => format!("; reloading the restored configuration failed too: {error}"),
    };
    Err(AutodeployError::RolledBack {
        snapshot_id: snapshot.id.clone(),
        reload_error: reload_error.to_string(),
        after_rollback,
    })
}
