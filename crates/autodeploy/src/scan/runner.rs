//! Running a scan: every address is probed over each enabled protocol, at most
//! `concurrency` hosts at a time; each host's result streams to an optional progress channel
//! as it completes, and the report lists every host with a status, so one bad host never
//! stops the scan.

use std::net::IpAddr;
use std::time::Instant;

use futures::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc::UnboundedSender;

use crate::error::AutodeployError;
use crate::scan::modbus_probe::probe_modbus_host;
use crate::scan::result::{HostResult, ScannedDevice};
use crate::scan::settings::ScanSettings;
use crate::scan::snmp_probe::probe_snmp_host;
use crate::scan::targets::expand_targets;

/// How far a running scan is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanProgress {
    pub hosts_total: usize,
    pub hosts_done: usize,
    pub devices_found: usize,
    /// The host that just finished.
    pub last_host: String,
}

/// The outcome of a whole scan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanReport {
    pub targets: Vec<String>,
    pub hosts_total: usize,
    pub hosts: Vec<HostResult>,
    pub elapsed_ms: u64,
}

impl ScanReport {
    /// Every device found, in address order.
    pub fn devices(&self) -> Vec<ScannedDevice> {
        self.hosts
            .iter()
            .flat_map(|host| host.devices.iter().cloned())
            .collect()
    }
}

/// Expands `targets`, then probes every host; an invalid target or setting fails before
/// anything is sent.
pub async fn run_scan(
    targets: &[String],
    settings: &ScanSettings,
    progress: Option<UnboundedSender<ScanProgress>>,
) -> Result<ScanReport, AutodeployError> {
    settings.validate()?;
    let addresses = expand_targets(targets)?;
    let started = Instant::now();
    let hosts_total = addresses.len();
    let mut probes = futures::stream::iter(addresses.into_iter().enumerate())
        .map(|(position, address)| async move { (position, probe_host(address, settings).await) })
        .buffer_unordered(settings.concurrency);
    let mut results: Vec<(usize, Vec<HostResult>)> = Vec::with_capacity(hosts_total);
    let mut devices_found = 0;
    while let Some((position, host_results)) = probes.next().await {
        devices_found += host_results
            .iter()
            .map(|result| result.devices.len())
            .sum::<usize>();
        if let Some(sender) = &progress {
            let last_host = host_results
                .first()
                .map(|result| result.address.clone())
                .unwrap_or_default();
            let _closed = sender.send(ScanProgress {
                hosts_total,
                hosts_done: results.len() + 1,
                devices_found,
                last_host,
            });
        }
        results.push((position, host_results));
    }
    results.sort_by_key(|(position, _)| *position);
    Ok(ScanReport {
        targets: targets.to_vec(),
        hosts_total,
        hosts: results
            .into_iter()
            .flat_map(|(_, host_results)| host_results)
            .collect(),
        elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    })
}

async fn probe_host(address: IpAddr, settings: &ScanSettings) -> Vec<HostResult> {
    let mut results = Vec::with_capacity(2);
    if settings.snmp.enabled {
        results.push(probe_snmp_host(address, &settings.snmp).await);
    }
    if settings.modbus.enabled {
        results.push(probe_modbus_host(address, &settings.modbus).await);
    }
    results
}
