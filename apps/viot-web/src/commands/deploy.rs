//! `detectviz deploy`: the `POST /api/deploy` path from the command line, for the devices in
//! the store (all not gone, or `--device` ones) and the health-check targets of
//! `[autodeploy]`: generate, stage and validate, then print the unified diff (`--dry-run`) or
//! snapshot, write, reload and print what changed. Checking that metrics arrive needs the
//! running server's ingest, so only API deploys roll back by themselves on silence.

use clap::Args;

use autodeploy::healthcheck::check_healthcheck_csv;
use autodeploy::scan::stored_devices;
use autodeploy::{DeployOptions, GenerateOptions};

use super::CommandError;
use crate::config::load_config;

/// Options of `detectviz deploy`.
#[derive(Debug, Args)]
pub struct DeployArguments {
    /// Device ids to (re)generate, comma separated or repeated; default: every device not gone.
    #[arg(long = "device", value_delimiter = ',')]
    pub devices: Vec<String>,
    /// Stage and validate, print the unified diff, write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Why, kept in the snapshot.
    #[arg(long, default_value = "")]
    pub message: String,
}

fn failed(error: impl std::fmt::Display) -> CommandError {
    CommandError::Usage(format!("deploy: {error}"))
}

pub async fn run_deploy_command(
    config_path: &std::path::Path,
    arguments: DeployArguments,
) -> Result<(), CommandError> {
    let config = load_config(config_path)?;
    let autodeploy_config = config.autodeploy.clone();
    if !autodeploy_config.enabled {
        return Err(failed(
            "autodeploy is off (set [autodeploy] enabled = true)",
        ));
    }
    let store = store::Store::connect(&config.store.url).await?;
    let devices = stored_devices(
        &store,
        &arguments.devices,
        &autodeploy_config.snmp_credentials,
    )
    .await
    .map_err(failed)?;
    store.close().await;
    let csv = match std::fs::read_to_string(&autodeploy_config.healthcheck_targets_file) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(error) => return Err(failed(error)),
    };
    let targets = check_healthcheck_csv(&csv).map_err(|problems| {
        failed(
            problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        )
    })?;
    let autodeploy = autodeploy_config.open().map_err(failed)?;
    let generated = autodeploy::generate_deploy_set(
        &devices,
        &targets,
        &autodeploy.profiles,
        &GenerateOptions::default(),
    )
    .map_err(failed)?;
    let present = autodeploy.deployer.managed_files().map_err(failed)?;
    let files = autodeploy::rollout::merge_with_present_files(generated, &present);
    let author = std::env::var("USER").unwrap_or_else(|_| "cli".to_string());
    let options = DeployOptions {
        dry_run: arguments.dry_run,
        author,
        message: arguments.message,
    };
    let outcome = autodeploy::deploy_and_reload(
        &autodeploy.deployer,
        autodeploy.reloader.as_ref(),
        &files,
        &options,
    )
    .map_err(failed)?;
    print!("{}", outcome.diff);
    if arguments.dry_run {
        eprintln!(
            "dry run: {} file(s) would change, nothing written",
            outcome.written_files.len() + outcome.removed_files.len()
        );
        return Ok(());
    }
    match &outcome.snapshot {
        Some(snapshot) => eprintln!(
            "wrote {} and removed {} file(s); snapshot {} taken before; Telegraf reloaded via {}",
            outcome.written_files.len(),
            outcome.removed_files.len(),
            snapshot.id,
            autodeploy.reloader.name()
        ),
        None => eprintln!("nothing changed"),
    }
    Ok(())
}
