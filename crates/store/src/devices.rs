//! The `devices` repository: what scans found, one row per device (an SNMP agent, or one
//! Modbus unit). `record_seen` tells whether a device is new, changed (its fingerprint, which
//! leaves out moving counters, differs), back after being gone, or unchanged;
//! `record_missed` counts scans that covered a device's address without finding it and
//! marks it gone after a threshold. The inventory is a JSON document the autodeploy crate
//! writes and reads; the store does not interpret it.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::store::now_unix_millis;
use crate::{Store, StoreError};

/// A device as one scan saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceObservation {
    pub id: String,
    /// `snmp` or `modbus`.
    pub protocol: String,
    pub address: String,
    pub port: u16,
    pub name: String,
    pub sys_object_id: String,
    /// JSON document.
    pub inventory: String,
    pub fingerprint: String,
    pub scan_id: String,
}

/// A stored device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRecord {
    pub id: String,
    pub protocol: String,
    pub address: String,
    pub port: u16,
    pub name: String,
    pub sys_object_id: String,
    pub inventory: String,
    pub fingerprint: String,
    /// `present` or `gone`.
    pub status: String,
    pub missed_scans: u32,
    pub last_scan_id: String,
    pub first_seen_at_ms: i64,
    pub last_seen_at_ms: i64,
    pub updated_at_ms: i64,
}

/// What `record_seen` found compared with the stored row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeenOutcome {
    New,
    Changed,
    /// It was gone and answers again.
    Returned,
    Unchanged,
}

pub const DEVICE_PRESENT: &str = "present";
pub const DEVICE_GONE: &str = "gone";

macro_rules! select_devices {
    ($tail:literal) => {
        concat!(
            "SELECT id, protocol, address, port, name, sys_object_id, inventory, fingerprint, ",
            "status, missed_scans, last_scan_id, first_seen_at, last_seen_at, updated_at ",
            "FROM devices ",
            $tail
        )
    };
}

/// Repository over the `devices` table; get it with [`Store::devices`].
pub struct Devices<'store> {
    store: &'store Store,
}

impl<'store> Devices<'store> {
    pub(crate) fn new(store: &'store Store) -> Self {
        Devices { store }
    }

    /// Stores what a scan saw and says how it compares with the stored device.
    pub async fn record_seen(&self, seen: &DeviceObservation) -> Result<SeenOutcome, StoreError> {
        let now = now_unix_millis();
        let Some(existing) = self.get(&seen.id).await? else {
            sqlx::query(
                "INSERT INTO devices (id, protocol, address, port, name, sys_object_id, inventory, \
                 fingerprint, status, missed_scans, last_scan_id, first_seen_at, last_seen_at, \
                 updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)",
            )
            .bind(&seen.id)
            .bind(&seen.protocol)
            .bind(&seen.address)
            .bind(i64::from(seen.port))
            .bind(&seen.name)
            .bind(&seen.sys_object_id)
            .bind(&seen.inventory)
            .bind(&seen.fingerprint)
            .bind(DEVICE_PRESENT)
            .bind(&seen.scan_id)
            .bind(now)
            .bind(now)
            .bind(now)
            .execute(self.store.pool())
            .await
            .map_err(|error| StoreError::conflict_or(error, format!("device {:?}", seen.id)))?;
            return Ok(SeenOutcome::New);
        };
        let outcome = if existing.status == DEVICE_GONE {
            SeenOutcome::Returned
        } else if existing.fingerprint != seen.fingerprint {
            SeenOutcome::Changed
        } else {
            SeenOutcome::Unchanged
        };
        let updated_at = if outcome == SeenOutcome::Unchanged {
            existing.updated_at_ms
        } else {
            now
        };
        sqlx::query(
            "UPDATE devices SET protocol = ?, address = ?, port = ?, name = ?, sys_object_id = ?, \
             inventory = ?, fingerprint = ?, status = ?, missed_scans = 0, last_scan_id = ?, \
             last_seen_at = ?, updated_at = ? WHERE id = ?",
        )
        .bind(&seen.protocol)
        .bind(&seen.address)
        .bind(i64::from(seen.port))
        .bind(&seen.name)
        .bind(&seen.sys_object_id)
        .bind(&seen.inventory)
        .bind(&seen.fingerprint)
        .bind(DEVICE_PRESENT)
        .bind(&seen.scan_id)
        .bind(now)
        .bind(updated_at)
        .bind(&seen.id)
        .execute(self.store.pool())
        .await?;
        Ok(outcome)
    }

    /// Counts one scan that covered the device's address without finding it. Returns the
    /// device when this miss made it gone (`missed_scans` reached `gone_after_missed`).
    pub async fn record_missed(
        &self,
        id: &str,
        scan_id: &str,
        gone_after_missed: u32,
    ) -> Result<Option<DeviceRecord>, StoreError> {
        let Some(existing) = self.get(id).await? else {
            return Err(StoreError::NotFound {
                what: format!("device {id:?}"),
            });
        };
        if existing.status == DEVICE_GONE || existing.last_scan_id == scan_id {
            return Ok(None);
        }
        let missed = existing.missed_scans.saturating_add(1);
        let becomes_gone = missed >= gone_after_missed.max(1);
        let status = if becomes_gone {
            DEVICE_GONE
        } else {
            DEVICE_PRESENT
        };
        sqlx::query("UPDATE devices SET missed_scans = ?, status = ?, last_scan_id = ?, updated_at = ? WHERE id = ?")
            .bind(i64::from(missed))
            .bind(status)
            .bind(scan_id)
            .bind(now_unix_millis())
            .bind(id)
            .execute(self.store.pool())
            .await?;
        if !becomes_gone {
            return Ok(None);
        }
        self.get(id).await
    }

    pub async fn get(&self, id: &str) -> Result<Option<DeviceRecord>, StoreError> {
        let row = sqlx::query(select_devices!("WHERE id = ?"))
            .bind(id)
            .fetch_optional(self.store.pool())
            .await?;
        row.as_ref().map(device_from_row).transpose()
    }

    /// Every device, by address then id.
    pub async fn list(&self) -> Result<Vec<DeviceRecord>, StoreError> {
        let rows = sqlx::query(select_devices!("ORDER BY address, id"))
            .fetch_all(self.store.pool())
            .await?;
        rows.iter().map(device_from_row).collect()
    }
}

fn device_from_row(row: &AnyRow) -> Result<DeviceRecord, StoreError> {
    let port: i64 = row.try_get("port")?;
    let missed_scans: i64 = row.try_get("missed_scans")?;
    Ok(DeviceRecord {
        id: row.try_get("id")?,
        protocol: row.try_get("protocol")?,
        address: row.try_get("address")?,
        port: u16::try_from(port).unwrap_or(0),
        name: row.try_get("name")?,
        sys_object_id: row.try_get("sys_object_id")?,
        inventory: row.try_get("inventory")?,
        fingerprint: row.try_get("fingerprint")?,
        status: row.try_get("status")?,
        missed_scans: u32::try_from(missed_scans).unwrap_or(u32::MAX),
        last_scan_id: row.try_get("last_scan_id")?,
        first_seen_at_ms: row.try_get("first_seen_at")?,
        last_seen_at_ms: row.try_get("last_seen_at")?,
        updated_at_ms: row.try_get("updated_at")?,
    })
}
