//! Recording a scan: the scan row, every device found (new, changed, returned or unchanged),
//! and misses of known devices whose address the scan covered (gone after
//! `gone_after_missed` misses). Each change is written to the store first and then published
//! on `dv:deploy`, so a consumer never sees an event the store does not back. Progress of a
//! running scan is published on the same stream for the console.

use std::collections::BTreeSet;

use detectviz::Event;
use eventbus::EventBus;
use serde::{Deserialize, Serialize};
use store::{DeviceObservation, NewScan, ScanRecord, ScanSummary, SeenOutcome, Store};

use crate::error::AutodeployError;
use crate::scan::result::{Inventory, ProbeStatus, ScannedDevice};
use crate::scan::runner::{ScanProgress, ScanReport};

/// The stream device and scan events go to.
pub const DEPLOY_STREAM: &str = "dv:deploy";
const EVENT_SOURCE: &str = "/detectviz/autodeploy/scan";

/// A device that is new, changed, back, or gone after a scan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceChange {
    pub scan_id: String,
    pub device_id: String,
    /// `new`, `changed`, `returned` or `gone`.
    pub change: String,
    pub address: String,
    pub protocol: String,
    /// The scanned device (absent for `gone`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<ScannedDevice>,
}

impl DeviceChange {
    /// The CloudEvents type: `io.detectviz.device.new`, `.changed`, `.returned`, `.gone`.
    pub fn event_type(&self) -> String {
        format!("io.detectviz.device.{}", self.change)
    }
}

/// Writes scans and devices to the store and publishes changes on the bus.
pub struct ScanRecorder<'a> {
    pub store: &'a Store,
    /// `None` records without publishing (the CLI's `--dry-run` does not even record).
    pub bus: Option<&'a EventBus>,
    /// A known device the scan covered but did not find this many times in a row is gone.
    pub gone_after_missed: u32,
}

impl ScanRecorder<'_> {
    /// Records the start of a scan and publishes `io.detectviz.scan.started`.
    pub async fn start(
        &self,
        scan_id: &str,
        targets: &[String],
        requested_by: &str,
    ) -> Result<ScanRecord, AutodeployError> {
        let record = self
            .store
            .scans()
            .start(&NewScan {
                id: scan_id.to_string(),
                requested_by: requested_by.to_string(),
                targets: targets.join(","),
            })
            .await?;
        self.publish(
            "io.detectviz.scan.started",
            &serde_json::json!({"scan_id": scan_id, "targets": targets}),
        )
        .await?;
        Ok(record)
    }

    /// Publishes the progress of a running scan (`io.detectviz.scan.progress`).
    pub async fn progress(
        &self,
        scan_id: &str,
        progress: &ScanProgress,
    ) -> Result<(), AutodeployError> {
        let mut data = serde_json::to_value(progress)
            .map_err(|error| AutodeployError::Serialize(error.to_string()))?;
        data["scan_id"] = serde_json::Value::String(scan_id.to_string());
        self.publish("io.detectviz.scan.progress", &data).await
    }

    /// Records a failed scan (bad targets, settings) with its reason.
    pub async fn fail(&self, scan_id: &str, reason: &str) -> Result<ScanRecord, AutodeployError> {
        let summary = ScanSummary {
            status: "failed".to_string(),
            detail: reason.to_string(),
            ..ScanSummary::default()
        };
        let record = self.store.scans().finish(scan_id, &summary).await?;
        self.publish(
            "io.detectviz.scan.failed",
            &serde_json::json!({"scan_id": scan_id, "reason": reason}),
        )
        .await?;
        Ok(record)
    }

    /// Records the devices of `report`, detects changes, publishes them, and closes the scan.
    pub async fn finish(
        &self,
        scan_id: &str,
        report: &ScanReport,
    ) -> Result<(ScanRecord, Vec<DeviceChange>), AutodeployError> {
        let mut changes = Vec::new();
        let mut found_ids = BTreeSet::new();
        for device in report.devices() {
            found_ids.insert(device.id.clone());
            let outcome = self
                .store
                .devices()
                .record_seen(&observation(&device, scan_id))
                .await?;
            let change = match outcome {
                SeenOutcome::New => "new",
                SeenOutcome::Changed => "changed",
                SeenOutcome::Returned => "returned",
                SeenOutcome::Unchanged => continue,
            };
            changes.push(DeviceChange {
                scan_id: scan_id.to_string(),
                device_id: device.id.clone(),
                change: change.to_string(),
                address: device.address.clone(),
                protocol: device.protocol_name().to_string(),
                device: Some(device),
            });
        }
        let covered: BTreeSet<(String, String)> = report
            .hosts
            .iter()
            .filter(|host| host.status != ProbeStatus::Found || !host.devices.is_empty())
            .map(|host| (host.address.clone(), host.protocol.clone()))
            .collect();
        for known in self.store.devices().list().await? {
            let was_covered = covered.contains(&(known.address.clone(), known.protocol.clone()));
            if !was_covered || found_ids.contains(&known.id) {
                continue;
            }
            if let Some(gone) = self
                .store
                .devices()
                .record_missed(&known.id, scan_id, self.gone_after_missed)
                .await?
            {
                changes.push(DeviceChange {
                    scan_id: scan_id.to_string(),
                    device_id: gone.id,
                    change: "gone".to_string(),
                    address: gone.address,
                    protocol: gone.protocol,
                    device: None,
                });
            }
        }
        let count = |kind: &str| {
            changes
                .iter()
                .filter(|change| change.change == kind)
                .count() as u64
        };
        let summary = ScanSummary {
            status: "finished".to_string(),
            hosts_total: report.hosts_total as u64,
            hosts_answered: report
                .hosts
                .iter()
                .filter(|host| host.status == ProbeStatus::Found)
                .count() as u64,
            new_devices: count("new") + count("returned"),
            changed_devices: count("changed"),
            gone_devices: count("gone"),
            detail: format!(
                "{} device(s) found in {} ms",
                found_ids.len(),
                report.elapsed_ms
            ),
        };
        let record = self.store.scans().finish(scan_id, &summary).await?;
        for change in &changes {
            self.publish(&change.event_type(), change).await?;
        }
        self.publish(
            "io.detectviz.scan.finished",
            &serde_json::json!({
                "scan_id": scan_id,
                "hosts_total": summary.hosts_total,
                "hosts_answered": summary.hosts_answered,
                "new_devices": summary.new_devices,
                "changed_devices": summary.changed_devices,
                "gone_devices": summary.gone_devices,
            }),
        )
        .await?;
        Ok((record, changes))
    }

    async fn publish(
        &self,
        event_type: &str,
        data: &impl Serialize,
    ) -> Result<(), AutodeployError> {
        let Some(bus) = self.bus else { return Ok(()) };
        let bus_error = |reason: String| AutodeployError::Bus {
            stream: DEPLOY_STREAM.to_string(),
            reason,
        };
        let event = Event::new(EVENT_SOURCE, event_type, data)
            .map_err(|error| bus_error(error.to_string()))?;
        bus.publish(DEPLOY_STREAM, &event)
            .await
            .map_err(|error| bus_error(error.to_string()))?;
        Ok(())
    }
}

fn observation(device: &ScannedDevice, scan_id: &str) -> DeviceObservation {
    let sys_object_id = match &device.inventory {
        Inventory::Snmp(snmp) => snmp.sys_object_id.clone(),
        Inventory::Modbus(_) => String::new(),
    };
    DeviceObservation {
        id: device.id.clone(),
        protocol: device.protocol_name().to_string(),
        address: device.address.clone(),
        port: device.port,
        name: device.display_name(),
        sys_object_id,
        inventory: serde_json::to_string(device).unwrap_or_default(),
        fingerprint: fingerprint_digest(device),
        scan_id: scan_id.to_string(),
    }
}

fn fingerprint_digest(device: &ScannedDevice) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(device.fingerprint().as_bytes());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}
