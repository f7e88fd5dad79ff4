//! The steps after generation, in order: build the whole set of files (devices and
//! health-check targets), deploy it, reload Telegraf, and roll back to the snapshot the
//! deploy took when the reload fails. Checking that metrics then arrive at ingest belongs to
//! the caller that can see ingest.

use std::collections::{BTreeMap, BTreeSet};

use crate::deploy::{DeployOptions, DeployOutcome, Deployer};
use crate::device::Device;
use crate::error::AutodeployError;
use crate::generate::{GenerateOptions, GeneratedFile, device_file_name, generate_device_file};
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

/// The whole set for a deploy of some devices: the freshly generated files, plus every
/// device file already in telegraf.d that was not regenerated (other devices stay as they
/// are). Health-check files are always the generated ones: the target list is complete.
pub fn merge_with_present_files(
    generated: Vec<GeneratedFile>,
    present_managed_files: &BTreeMap<String, Vec<u8>>,
) -> Vec<GeneratedFile> {
    let generated_names: BTreeSet<String> = generated
        .iter()
        .map(|file| file.file_name.clone())
        .collect();
    let device_prefix = device_file_name("");
    let device_prefix = device_prefix.trim_end_matches(".conf");
    let kept = present_managed_files
        .iter()
        .filter(|(name, _)| name.starts_with(device_prefix) && !generated_names.contains(*name))
        .map(|(name, contents)| GeneratedFile {
            file_name: name.clone(),
            contents: String::from_utf8_lossy(contents).into_owned(),
        });
    let mut files: Vec<GeneratedFile> = generated.into_iter().chain(kept).collect();
    files.sort_by(|left, right| left.file_name.cmp(&right.file_name));
    files
}
