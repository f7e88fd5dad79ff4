//! `detectviz scan`: sweep CIDR ranges and hosts over SNMP (and Modbus with `--modbus`),
//! show a progress bar on stderr, print one line per device found (or `--json`), and record
//! devices and scans in the store with changes on `dv:deploy`. `--dry-run` probes and prints
//! but records and publishes nothing.

use std::io::Write;
use std::path::{Path, PathBuf};

use autodeploy::SnmpVersion;
use autodeploy::scan::{
    HostResult, Inventory, ProbeStatus, ScanProgress, ScanRecorder, ScanReport, ScanSettings,
    SnmpCredential, run_recorded_scan, run_scan,
};
use clap::Args;

use super::CommandError;
use crate::config::load_config;

/// How many missed scans make a device gone, unless `--gone-after` says otherwise.
pub const DEFAULT_GONE_AFTER_MISSED: u32 = 3;

/// Options of `detectviz scan`.
#[derive(Debug, Args)]
pub struct ScanArguments {
    /// CIDR ranges or addresses to scan, comma separated or repeated (`10.0.0.0/24,10.0.1.7`).
    #[arg(long, required = true, value_delimiter = ',')]
    pub cidr: Vec<String>,
    /// SNMP v2c communities to try, in order (repeatable). Default: `public` unless
    /// `--settings` gives credentials.
    #[arg(long = "snmp-community")]
    pub snmp_communities: Vec<String>,
    /// Use SNMP v1 instead of v2c for `--snmp-community`.
    #[arg(long)]
    pub snmp_v1: bool,
    /// A TOML file with every scan setting (`concurrency`, `[snmp]` with `[[snmp.credentials]]`
    /// including v3 users, `[modbus]`); flags given on the command line override it.
    #[arg(long)]
    pub settings: Option<PathBuf>,
    /// SNMP UDP port.
    #[arg(long)]
    pub snmp_port: Option<u16>,
    /// Per-request timeout in milliseconds.
    #[arg(long)]
    pub timeout_ms: Option<u64>,
    /// Extra attempts after a timeout.
    #[arg(long)]
    pub retries: Option<u32>,
    /// Hosts probed at the same time.
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// Probe Modbus TCP too (unit ids 1-4 by default, slowly, read functions only).
    #[arg(long)]
    pub modbus: bool,
    /// Modbus TCP port.
    #[arg(long)]
    pub modbus_port: Option<u16>,
    /// A device missed by this many scans in a row is reported gone.
    #[arg(long, default_value_t = DEFAULT_GONE_AFTER_MISSED)]
    pub gone_after: u32,
    /// Probe and print, but record and publish nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the whole report as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Builds the settings from `--settings` and the flags.
pub fn scan_settings(arguments: &ScanArguments) -> Result<ScanSettings, CommandError> {
    let mut settings = match &arguments.settings {
        Some(path) => read_settings_file(path)?,
        None => ScanSettings::default(),
    };
    if !arguments.snmp_communities.is_empty() {
        let version = if arguments.snmp_v1 {
            SnmpVersion::V1
        } else {
            SnmpVersion::V2c
        };
        settings.snmp.credentials = arguments
            .snmp_communities
            .iter()
            .enumerate()
            .map(|(position, community)| {
                let mut credential = SnmpCredential::community(version, community);
                credential.name = format!("community-{}", position + 1);
                credential
            })
            .collect();
    }
    if let Some(port) = arguments.snmp_port {
        settings.snmp.port = port;
    }
    if let Some(timeout_ms) = arguments.timeout_ms {
        settings.snmp.timeout_ms = timeout_ms;
        settings.modbus.timeout_ms = timeout_ms;
    }
    if let Some(retries) = arguments.retries {
        settings.snmp.retries = retries;
    }
    if let Some(concurrency) = arguments.concurrency {
        settings.concurrency = concurrency;
    }
    if arguments.modbus {
        settings.modbus.enabled = true;
    }
    if let Some(port) = arguments.modbus_port {
        settings.modbus.port = port;
    }
    settings
        .validate()
        .map_err(|error| CommandError::Usage(error.to_string()))?;
    Ok(settings)
}

fn read_settings_file(path: &Path) -> Result<ScanSettings, CommandError> {
    let text = std::fs::read_to_string(path).map_err(|error| {
        CommandError::Usage(format!("scan settings {}: {error}", path.display()))
    })?;
    toml::from_str(&text)
        .map_err(|error| CommandError::Usage(format!("scan settings {}: {error}", path.display())))
}

pub async fn run_scan_command(
    config_path: &Path,
    arguments: ScanArguments,
) -> Result<(), CommandError> {
    let settings = scan_settings(&arguments)?;
    autodeploy::scan::expand_targets(&arguments.cidr)
        .map_err(|error| CommandError::Usage(error.to_string()))?;
    let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
    let bar = tokio::spawn(draw_progress_bar(receiver));
    let outcome = if arguments.dry_run {
        run_scan(&arguments.cidr, &settings, Some(sender))
            .await
            .map(|report| (report, Vec::new()))
    } else {
        let config = load_config(config_path)?;
        let store = store::Store::connect(&config.store.url).await?;
        store.migrate().await?;
        let bus = eventbus::connect(&config.bus).await?;
        let recorder = ScanRecorder {
            store: &store,
            bus: Some(&bus),
            gone_after_missed: arguments.gone_after,
        };
        let scan_id = uuid::Uuid::now_v7().to_string();
        recorder
            .start(&scan_id, &arguments.cidr, "cli")
            .await
            .map_err(|error| CommandError::Usage(error.to_string()))?;
        run_recorded_scan(
            &recorder,
            &scan_id,
            &arguments.cidr,
            &settings,
            Some(sender),
        )
        .await
        .map(|recorded| (recorded.report, recorded.changes))
    };
    let _finished = bar.await;
    let (report, changes) = outcome.map_err(|error| CommandError::Usage(error.to_string()))?;
    if arguments.json {
        let document = serde_json::json!({"report": report, "changes": changes});
        println!(
            "{}",
            serde_json::to_string_pretty(&document).expect("plain values serialise")
        );
        return Ok(());
    }
    print_report(&report);
    for change in &changes {
        println!("{:<9} {}", change.change, change.device_id);
    }
    Ok(())
}

/// A one-line progress bar on stderr, redrawn as hosts finish.
async fn draw_progress_bar(mut receiver: tokio::sync::mpsc::UnboundedReceiver<ScanProgress>) {
    let mut stderr = std::io::stderr();
    let mut drew = false;
    while let Some(progress) = receiver.recv().await {
        let width = 30;
        let filled = (progress.hosts_done * width) / progress.hosts_total.max(1);
        let _ = write!(
            stderr,
            "\r[{}{}] {}/{} hosts, {} device(s)",
            "#".repeat(filled),
            "-".repeat(width - filled),
            progress.hosts_done,
            progress.hosts_total,
            progress.devices_found
        );
        let _ = stderr.flush();
        drew = true;
    }
    if drew {
        let _ = writeln!(stderr);
    }
}

fn print_report(report: &ScanReport) {
    let answered: Vec<&HostResult> = report
        .hosts
        .iter()
        .filter(|host| host.status == ProbeStatus::Found)
        .collect();
    println!(
        "{} host(s) scanned in {} ms, {} answered",
        report.hosts_total,
        report.elapsed_ms,
        answered.len()
    );
    for host in &report.hosts {
        if host.status != ProbeStatus::Found && host.status != ProbeStatus::AuthenticationFailed {
            continue;
        }
        if host.devices.is_empty() {
            println!(
                "{:<15} {:<6} {:?}: {}",
                host.address, host.protocol, host.status, host.detail
            );
        }
        for device in &host.devices {
            let summary = match &device.inventory {
                Inventory::Snmp(snmp) => format!(
                    "{} {} [{}] {} interface(s)",
                    snmp.sys_name,
                    snmp.sys_object_id,
                    snmp.credential,
                    snmp.interfaces.len()
                ),
                Inventory::Modbus(modbus) => format!(
                    "unit {} {} {} {}",
                    modbus.unit_id, modbus.vendor_name, modbus.product_code, modbus.revision
                ),
            };
            println!("{:<15} {:<6} {}", device.address, host.protocol, summary);
        }
    }
}
