//! Devices as the store holds them (after a scan) turned back into [`Device`]s for the
//! generator: the stored inventory is the scanned device, and the configured credential sets
//! give the environment variable names of the set that answered.

use store::Store;

use crate::device::Device;
use crate::error::AutodeployError;
use crate::scan::result::ScannedDevice;
use crate::scan::settings::SnmpCredential;
use crate::scan::to_device::device_from_scan;

/// The devices `device_ids` (every device not gone when empty), in that order.
pub async fn stored_devices(
    store: &Store,
    device_ids: &[String],
    credentials: &[SnmpCredential],
) -> Result<Vec<Device>, AutodeployError> {
    let records = if device_ids.is_empty() {
        store
            .devices()
            .list()
            .await?
            .into_iter()
            .filter(|record| record.status != "gone")
            .collect()
    } else {
        let mut records = Vec::with_capacity(device_ids.len());
        for device_id in device_ids {
            let record = store.devices().get(device_id).await?.ok_or_else(|| {
                AutodeployError::UnknownDevice {
                    device_id: device_id.clone(),
                }
            })?;
            records.push(record);
        }
        records
    };
    records
        .iter()
        .map(|record| {
            let scanned = stored_scan(&record.id, &record.inventory)?;
            Ok(device_from_scan(&scanned, credentials))
        })
        .collect()
}

/// The scanned device a stored inventory holds.
pub fn stored_scan(device_id: &str, inventory: &str) -> Result<ScannedDevice, AutodeployError> {
    serde_json::from_str(inventory).map_err(|error| AutodeployError::Generate {
        device_id: device_id.to_string(),
        reason: format!("its stored inventory cannot be read ({error}); scan it again"),
    })
}
