//! The `scans` repository: one row per scan with who asked, what it covered, and, once it
//! ended, its counts (hosts answered, devices new, changed, gone) and a status.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::store::now_unix_millis;
use crate::{Store, StoreError};

/// A scan being started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewScan {
    pub id: String,
    pub requested_by: String,
    /// The targets as given (CIDR ranges and addresses), comma separated.
    pub targets: String,
}

/// How a scan ended.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScanSummary {
    /// `finished` or `failed`.
    pub status: String,
    pub hosts_total: u64,
    pub hosts_answered: u64,
    pub new_devices: u64,
    pub changed_devices: u64,
    pub gone_devices: u64,
    pub detail: String,
}

/// A stored scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanRecord {
    pub id: String,
    pub requested_by: String,
    pub targets: String,
    /// `running`, `finished` or `failed`.
    pub status: String,
    pub hosts_total: u64,
    pub hosts_answered: u64,
    pub new_devices: u64,
    pub changed_devices: u64,
    pub gone_devices: u64,
    pub detail: String,
    pub started_at_ms: i64,
    pub finished_at_ms: Option<i64>,
}

macro_rules! select_scans {
    ($tail:literal) => {
        concat!(
            "SELECT id, requested_by, targets, status, hosts_total, hosts_answered, ",
            "new_devices, changed_devices, gone_devices, detail, started_at, finished_at FROM scans ",
            $tail
        )
    };
}

/// Repository over the `scans` table; get it with [`Store::scans`].
pub struct Scans<'store> {
    store: &'store Store,
}

impl<'store> Scans<'store> {
    pub(crate) fn new(store: &'store Store) -> Self {
        Scans { store }
    }

    /// Records a scan as `running`; `Conflict` when the id is taken.
    pub async fn start(&self, scan: &NewScan) -> Result<ScanRecord, StoreError> {
        sqlx::query(
            "INSERT INTO scans (id, requested_by, targets, status, detail, started_at) \
             VALUES (?, ?, ?, 'running', '', ?)",
        )
        .bind(&scan.id)
        .bind(&scan.requested_by)
        .bind(&scan.targets)
        .bind(now_unix_millis())
        .execute(self.store.pool())
        .await
        .map_err(|error| StoreError::conflict_or(error, format!("scan {:?}", scan.id)))?;
        self.get(&scan.id)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: format!("scan {:?}", scan.id),
            })
    }

    /// Records how the scan ended; `NotFound` for an unknown id.
    pub async fn finish(&self, id: &str, summary: &ScanSummary) -> Result<ScanRecord, StoreError> {
        sqlx::query(
            "UPDATE scans SET status = ?, hosts_total = ?, hosts_answered = ?, new_devices = ?, \
             changed_devices = ?, gone_devices = ?, detail = ?, finished_at = ? WHERE id = ?",
        )
        .bind(&summary.status)
        .bind(to_i64(summary.hosts_total))
        .bind(to_i64(summary.hosts_answered))
        .bind(to_i64(summary.new_devices))
        .bind(to_i64(summary.changed_devices))
        .bind(to_i64(summary.gone_devices))
        .bind(&summary.detail)
        .bind(now_unix_millis())
        .bind(id)
        .execute(self.store.pool())
        .await?;
        self.get(id).await?.ok_or_else(|| StoreError::NotFound {
            what: format!("scan {id:?}"),
        })
    }

    pub async fn get(&self, id: &str) -> Result<Option<ScanRecord>, StoreError> {
        let row = sqlx::query(select_scans!("WHERE id = ?"))
            .bind(id)
            .fetch_optional(self.store.pool())
            .await?;
        row.as_ref().map(scan_from_row).transpose()
    }

    /// The most recent scans first, at most `limit`.
    pub async fn list(&self, limit: u32) -> Result<Vec<ScanRecord>, StoreError> {
        let rows = sqlx::query(select_scans!("ORDER BY started_at DESC, id DESC LIMIT ?"))
            .bind(i64::from(limit))
            .fetch_all(self.store.pool())
            .await?;
        rows.iter().map(scan_from_row).collect()
    }
}

fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn count(row: &AnyRow, column: &str) -> Result<u64, StoreError> {
    let value: i64 = row.try_get(column)?;
    Ok(u64::try_from(value).unwrap_or(0))
}

fn scan_from_row(row: &AnyRow) -> Result<ScanRecord, StoreError> {
    Ok(ScanRecord {
        id: row.try_get("id")?,
        requested_by: row.try_get("requested_by")?,
        targets: row.try_get("targets")?,
        status: row.try_get("status")?,
        hosts_total: count(row, "hosts_total")?,
        hosts_answered: count(row, "hosts_answered")?,
        new_devices: count(row, "new_devices")?,
        changed_devices: count(row, "changed_devices")?,
        gone_devices: count(row, "gone_devices")?,
        detail: row.try_get("detail")?,
        started_at_ms: row.try_get("started_at")?,
        finished_at_ms: row.try_get("finished_at")?,
    })
}
