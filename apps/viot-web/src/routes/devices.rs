//! Device discovery over HTTP: operators start scans (`POST /api/scans`, answered 202 at
//! once while the scan runs in the background; progress and device changes go to
//! `dv:deploy`), viewers list scans and the devices they found. SNMP credentials in a scan
//! request are used for that scan only and never stored or returned.

use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use axum::response::IntoResponse;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};

use autodeploy::scan::{ScanRecorder, ScanSettings, expand_targets, run_recorded_scan};

use crate::auth::{Access, Principal, UserRole};
use crate::error::AppError;
use crate::routes::book::RouteBook;
use crate::state::AppState;

/// How many missed scans make a device gone when a request does not say.
const DEFAULT_GONE_AFTER_MISSED: u32 = 3;

pub fn add_routes(book: RouteBook) -> RouteBook {
    let viewer = Access::Role(UserRole::Viewer);
    let operator = Access::Role(UserRole::Operator);
    book.add(Method::POST, "/api/scans", operator, start_scan)
        .add(Method::GET, "/api/scans", viewer, list_scans)
        .add(Method::GET, "/api/scans/{id}", viewer, get_scan)
        .add(Method::GET, "/api/devices", viewer, list_devices)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanRequest {
    /// CIDR ranges and addresses.
    pub targets: Vec<String>,
    #[serde(default)]
    pub settings: ScanSettings,
    #[serde(default)]
    pub gone_after_missed: Option<u32>,
}

#[derive(Debug, Serialize)]
pub struct ScanView {
    pub id: String,
    pub requested_by: String,
    pub targets: String,
    pub status: String,
    pub hosts_total: u64,
    pub hosts_answered: u64,
    pub new_devices: u64,
    pub changed_devices: u64,
    pub gone_devices: u64,
    pub detail: String,
    pub started_at_ms: i64,
    pub finished_at_ms: Option<i64>,
    /// Hosts probed so far (all of them once the scan ended).
    pub hosts_done: u64,
    /// Devices found so far (while running; afterwards `hosts_answered` tells).
    pub devices_found: u64,
}

impl From<store::ScanRecord> for ScanView {
    fn from(record: store::ScanRecord) -> ScanView {
        let progress = crate::scan_progress::current(&record.id);
        let (hosts_done, devices_found) = match (&progress, record.status.as_str()) {
            (Some(progress), "running") => {
                (progress.hosts_done as u64, progress.devices_found as u64)
            }
            (None, "running") => (0, 0),
            _ => (record.hosts_total, record.hosts_answered),
        };
        ScanView {
            hosts_done,
            devices_found,
            id: record.id,
            requested_by: record.requested_by,
            targets: record.targets,
            status: record.status,
            hosts_total: record.hosts_total,
            hosts_answered: record.hosts_answered,
            new_devices: record.new_devices,
            changed_devices: record.changed_devices,
            gone_devices: record.gone_devices,
            detail: record.detail,
            started_at_ms: record.started_at_ms,
            finished_at_ms: record.finished_at_ms,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct DeviceView {
    pub id: String,
    pub protocol: String,
    pub address: String,
    pub port: u16,
    pub name: String,
    pub sys_object_id: String,
    pub status: String,
    pub missed_scans: u32,
    pub last_scan_id: String,
    pub first_seen_at_ms: i64,
    pub last_seen_at_ms: i64,
    pub updated_at_ms: i64,
    /// The scanned inventory (system group and interfaces, or Modbus identification).
    pub inventory: serde_json::Value,
}

impl From<store::DeviceRecord> for DeviceView {
    fn from(record: store::DeviceRecord) -> DeviceView {
        DeviceView {
            inventory: serde_json::from_str(&record.inventory).unwrap_or(serde_json::Value::Null),
            id: record.id,
            protocol: record.protocol,
            address: record.address,
            port: record.port,
            name: record.name,
            sys_object_id: record.sys_object_id,
            status: record.status,
            missed_scans: record.missed_scans,
            last_scan_id: record.last_scan_id,
            first_seen_at_ms: record.first_seen_at_ms,
            last_seen_at_ms: record.last_seen_at_ms,
            updated_at_ms: record.updated_at_ms,
        }
    }
}

async fn start_scan(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Json(request): Json<ScanRequest>,
) -> Result<impl IntoResponse, AppError> {
    request
        .settings
        .validate()
        .map_err(|error| AppError::bad_request(error.to_string()))?;
    let hosts_total = expand_targets(&request.targets)
        .map_err(|error| AppError::bad_request(error.to_string()))?
        .len();
    let gone_after_missed = request
        .gone_after_missed
        .unwrap_or(DEFAULT_GONE_AFTER_MISSED);
    if gone_after_missed == 0 {
        return Err(AppError::bad_request(
            "gone_after_missed: must be at least 1",
        ));
    }
    let scan_id = uuid::Uuid::now_v7().to_string();
    let recorder = ScanRecorder {
        store: &state.store,
        bus: Some(&state.bus),
        gone_after_missed,
    };
    let record = recorder
        .start(&scan_id, &request.targets, &principal.name)
        .await
        .map_err(|error| AppError::unavailable(error.to_string()))?;
    let background_state = state.clone();
    let background_id = scan_id.clone();
    let (progress_sender, mut progress_receiver) =
        tokio::sync::mpsc::unbounded_channel::<autodeploy::scan::ScanProgress>();
    let progress_id = scan_id.clone();
    tokio::spawn(async move {
        while let Some(progress) = progress_receiver.recv().await {
            crate::scan_progress::record(&progress_id, progress);
        }
        crate::scan_progress::forget(&progress_id);
    });
    tokio::spawn(async move {
        let recorder = ScanRecorder {
            store: &background_state.store,
            bus: Some(&background_state.bus),
            gone_after_missed,
        };
        let outcome = run_recorded_scan(
            &recorder,
            &background_id,
            &request.targets,
            &request.settings,
            Some(progress_sender),
        )
        .await;
        if let Err(error) = outcome {
            tracing::warn!(scan_id = %background_id, %error, "scan failed");
        }
    });
    let mut view = serde_json::to_value(ScanView::from(record))
        .map_err(|error| AppError::internal(error.to_string()))?;
    view["hosts_total"] = serde_json::json!(hosts_total);
    Ok((StatusCode::ACCEPTED, Json(view)))
}

async fn list_scans(State(state): State<AppState>) -> Result<Json<Vec<ScanView>>, AppError> {
    let scans = state.store.scans().list(100).await?;
    Ok(Json(scans.into_iter().map(ScanView::from).collect()))
}

async fn get_scan(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ScanView>, AppError> {
    let scan = state
        .store
        .scans()
        .get(&id)
        .await?
        .ok_or_else(|| AppError::not_found(format!("scan {id}")))?;
    Ok(Json(ScanView::from(scan)))
}

async fn list_devices(State(state): State<AppState>) -> Result<Json<Vec<DeviceView>>, AppError> {
    let devices = state.store.devices().list().await?;
    Ok(Json(devices.into_iter().map(DeviceView::from).collect()))
}
