//! Deploying Telegraf configuration over HTTP. Operators validate a scanned device against
//! its profile (`POST /api/devices/{id}/validate`, one report per field); admins deploy
//! (`POST /api/deploy`): the devices' files are generated, merged with the other Detectviz
//! files in telegraf.d and the health-check targets, staged and validated, and either
//! returned as a unified diff (`dry_run`) or written atomically after a snapshot, followed by
//! a reload. Metrics from the new files must then reach ingest within
//! `[autodeploy] verify_timeout_s`, checked in the background; when they do not, telegraf.d
//! is rolled back to the snapshot by itself, with an event on `dv:deploy` and an audit entry.
//! One deploy or rollback runs at a time (409 while one is still being verified).

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use tokio::sync::{Mutex, OwnedMutexGuard};

use autodeploy::scan::{SnmpCredential, stored_devices, stored_scan, validate_device};
use autodeploy::verify::{MetricExpectation, VerifyOutcome, expectations_for};
use autodeploy::{Autodeploy, AutodeployConfig, AutodeployError, DeployOptions, GenerateOptions};

use crate::auth::{Access, Principal, UserRole};
use crate::error::AppError;
use crate::routes::book::RouteBook;
use crate::routes::healthcheck_targets::read_targets;
use crate::state::AppState;

/// How often ingest is looked at while verifying.
const VERIFY_POLL_INTERVAL: Duration = Duration::from_millis(250);
const EVENT_SOURCE: &str = "/detectviz/autodeploy/deploy";

/// Held from the start of a deploy or rollback until its verification ends.
static DEPLOY_LOCK: LazyLock<Arc<Mutex<()>>> = LazyLock::new(|| Arc::new(Mutex::new(())));

pub fn add_routes(book: RouteBook) -> RouteBook {
    let operator = Access::Role(UserRole::Operator);
    let admin = Access::Role(UserRole::Admin);
    book.add(
        Method::POST,
        "/api/devices/{id}/validate",
        operator,
        validate,
    )
    .add(Method::POST, "/api/deploy", admin, deploy)
}

/// The `[autodeploy]` section, or 404 when it is off.
pub(crate) fn enabled_config(state: &AppState) -> Result<AutodeployConfig, AppError> {
    let config = state.config.current().autodeploy.clone();
    if !config.enabled {
        return Err(AppError::not_found(
            "autodeploy is off (set [autodeploy] enabled = true)",
        ));
    }
    Ok(config)
}

/// Loads the reference and profiles and builds the deployer and the reload plugin.
pub(crate) fn open(config: &AutodeployConfig) -> Result<Autodeploy, AppError> {
    config.open().map_err(app_error)
}

/// Waits for no deploy to be running: 409 when one is.
pub(crate) fn lock_deploys() -> Result<OwnedMutexGuard<()>, AppError> {
    DEPLOY_LOCK.clone().try_lock_owned().map_err(|_| {
        AppError::new(
            StatusCode::CONFLICT,
            "busy",
            "another deploy or rollback is still running or being verified",
        )
    })
}

pub(crate) fn app_error(error: AutodeployError) -> AppError {
    let message = error.to_string();
    match error {
        AutodeployError::UnknownSnapshot { .. } | AutodeployError::UnknownDevice { .. } => {
            AppError::not_found(message)
        }
        AutodeployError::Invalid { .. } => {
            AppError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message)
        }
        AutodeployError::RolledBack { .. } | AutodeployError::Reload { .. } => {
            AppError::new(StatusCode::CONFLICT, "reload_failed", message)
        }
        AutodeployError::Generate { .. }
        | AutodeployError::HealthcheckTarget { .. }
        | AutodeployError::UnsafeFileName { .. } => AppError::bad_request(message),
        AutodeployError::Reference { .. }
        | AutodeployError::Profile { .. }
        | AutodeployError::MissingGenericProfile { .. }
        | AutodeployError::Bus { .. } => AppError::unavailable(message),
        AutodeployError::Store(error) => AppError::from(error),
        _ => {
            tracing::error!(%message, "autodeploy failed");
            AppError::internal(message)
        }
    }
}

/// Publishes `io.detectviz.deploy.*` on `dv:deploy`; a failure is logged, not returned (the
/// files are already written).
pub(crate) async fn publish(state: &AppState, event_type: &str, data: &impl Serialize) {
    let event = match detectviz::Event::new(EVENT_SOURCE, event_type, data) {
        Ok(event) => event,
        Err(error) => {
            tracing::error!(%error, event_type, "cannot build the deploy event");
            return;
        }
    };
    if let Err(error) = state
        .bus
        .publish(autodeploy::scan::DEPLOY_STREAM, &event)
        .await
    {
        tracing::error!(%error, event_type, "cannot publish the deploy event");
    }
}

/// Writes an audit entry with what a deploy step did.
pub(crate) async fn audit(
    state: &AppState,
    actor: &str,
    action: &str,
    target: &str,
    detail: serde_json::Value,
) {
    let entry = store::NewAuditEntry {
        at_ms: chrono::Utc::now().timestamp_millis(),
        actor: actor.to_string(),
        action: action.to_string(),
        target: target.to_string(),
        source_ip: None,
        result: "ok".to_string(),
        detail,
    };
    if let Err(error) = state.store.audit_log().append(&entry).await {
        tracing::error!(%error, action, "cannot write the audit entry");
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ValidateRequest {
    /// Credential sets to try (used for this request only, never stored); default: the
    /// `[autodeploy] snmp_credentials` with secrets from their environment variables.
    pub credentials: Vec<SnmpCredential>,
    /// Per request; default 1000.
    pub timeout_ms: Option<u64>,
}

async fn validate(
    State(state): State<AppState>,
    Path(device_id): Path<String>,
    Json(request): Json<ValidateRequest>,
) -> Result<Json<serde_json::Value>, AppError> {
    let config = enabled_config(&state)?;
    let timeout = Duration::from_millis(request.timeout_ms.unwrap_or(1_000).clamp(1, 60_000));
    let credentials = if request.credentials.is_empty() {
        config.credentials_from_environment()
    } else {
        request.credentials
    };
    let device = stored_devices(&state.store, std::slice::from_ref(&device_id), &credentials)
        .await
        .map_err(app_error)?
        .remove(0);
    let profiles = autodeploy::ProfileCatalog::load_directory(&config.profiles_directory)
        .map_err(app_error)?;
    let profile = profiles.select_for(&device).map_err(app_error)?;
    let stored_label = credential_label_of(&state, &device_id).await?;
    let credential = credentials
        .iter()
        .find(|credential| Some(credential.label()) == stored_label)
        .or(credentials.first());
    let outcome = validate_device(&device, profile, credential, timeout).await;
    let mut body =
        serde_json::to_value(&outcome).map_err(|error| AppError::internal(error.to_string()))?;
    body["passed"] = serde_json::Value::Bool(outcome.passed());
    Ok(Json(body))
}

/// The label of the SNMP credential set that answered the device's last scan.
async fn credential_label_of(
    state: &AppState,
    device_id: &str,
) -> Result<Option<String>, AppError> {
    let Some(record) = state.store.devices().get(device_id).await? else {
        return Ok(None);
    };
    let scanned = stored_scan(device_id, &record.inventory).map_err(app_error)?;
    Ok(match scanned.inventory {
        autodeploy::scan::Inventory::Snmp(snmp) => Some(snmp.credential),
        autodeploy::scan::Inventory::Modbus(_) => None,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeployRequest {
    /// Device ids to (re)generate; empty: every device not gone.
    pub devices: Vec<String>,
    pub dry_run: bool,
    pub message: String,
}

async fn deploy(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Json(request): Json<DeployRequest>,
) -> Result<Json<serde_json::Value>, AppError> {
    let config = enabled_config(&state)?;
    let guard = lock_deploys()?;
    let devices = stored_devices(&state.store, &request.devices, &config.snmp_credentials)
        .await
        .map_err(app_error)?;
    let device_ids: Vec<String> = devices.iter().map(|device| device.id.clone()).collect();
    let targets = read_targets(&config)?;
    let options = DeployOptions {
        dry_run: request.dry_run,
        author: principal.name.clone(),
        message: request.message.clone(),
    };
    let started_at_ms = chrono::Utc::now().timestamp_millis();
    let blocking_config = config.clone();
    let (outcome, autodeploy) = tokio::task::spawn_blocking(move || {
        let autodeploy = blocking_config.open()?;
        let generated = autodeploy::generate_deploy_set(
            &devices,
            &targets,
            &autodeploy.profiles,
            &GenerateOptions::default(),
        )?;
        let files = autodeploy::rollout::merge_with_present_files(
            generated,
            &autodeploy.deployer.managed_files()?,
        );
        let outcome = autodeploy::deploy_and_reload(
            &autodeploy.deployer,
            autodeploy.reloader.as_ref(),
            &files,
            &options,
        )?;
        Ok::<_, AutodeployError>((outcome, autodeploy))
    })
    .await
    .map_err(|error| AppError::internal(error.to_string()))?
    .map_err(app_error)?;
    let mut body =
        serde_json::to_value(&outcome).map_err(|error| AppError::internal(error.to_string()))?;
    body["devices"] = serde_json::json!(device_ids);
    body["dry_run"] = serde_json::json!(request.dry_run);
    let Some(snapshot) = outcome.snapshot.clone().filter(|_| outcome.applied) else {
        body["verification"] = serde_json::json!({"status": "not_needed"});
        return Ok(Json(body));
    };
    let detail = serde_json::json!({
        "snapshot_id": snapshot.id,
        "message": request.message,
        "written_files": outcome.written_files,
        "removed_files": outcome.removed_files,
    });
    audit(
        &state,
        &principal.name,
        "deploy",
        "telegraf.d",
        detail.clone(),
    )
    .await;
    publish(&state, "io.detectviz.deploy.applied", &detail).await;
    let expectations = expectations_for(&outcome.written_files);
    if config.verify_timeout_s == 0 || expectations.is_empty() {
        body["verification"] = serde_json::json!({"status": "skipped"});
        return Ok(Json(body));
    }
    body["verification"] = serde_json::json!({
        "status": "pending",
        "timeout_s": config.verify_timeout_s,
        "waiting_for": expectations,
    });
    tokio::spawn(verify_in_background(
        state.clone(),
        autodeploy,
        snapshot.id,
        expectations,
        started_at_ms,
        Duration::from_secs(config.verify_timeout_s),
        guard,
    ));
    Ok(Json(body))
}

/// Whether ingest holds a sample at or after `since_ms` of a series tagged `tag=value`.
fn metrics_arrived(state: &AppState, expectation: &MetricExpectation, since_ms: i64) -> bool {
    let window = &state.ingest.window;
    window
        .series_keys()
        .iter()
        .filter(|series| series.tags.get(&expectation.tag) == Some(expectation.value.as_str()))
        .any(|series| {
            window
                .recent(series)
                .iter()
                .any(|(timestamp_ms, _)| *timestamp_ms >= since_ms)
        })
}

async fn verify_in_background(
    state: AppState,
    autodeploy: Autodeploy,
    snapshot_id: String,
    expectations: Vec<MetricExpectation>,
    started_at_ms: i64,
    timeout: Duration,
    _guard: OwnedMutexGuard<()>,
) {
    // Telegraf stamps metrics with the start of its gather interval: allow one second.
    let since_ms = started_at_ms - 1_000;
    let outcome = autodeploy::verify::verify_or_roll_back(
        &autodeploy.deployer,
        autodeploy.reloader.as_ref(),
        &snapshot_id,
        &expectations,
        |expectation| metrics_arrived(&state, expectation, since_ms),
        timeout,
        VERIFY_POLL_INTERVAL,
    )
    .await;
    let detail = serde_json::json!({"snapshot_id": snapshot_id, "outcome": outcome});
    match &outcome {
        VerifyOutcome::Verified => {
            publish(&state, "io.detectviz.deploy.verified", &detail).await;
            audit(
                &state,
                "autodeploy",
                "deploy.verified",
                "telegraf.d",
                detail,
            )
            .await;
        }
        VerifyOutcome::RolledBack { missing, .. } => {
            tracing::warn!(
                %snapshot_id,
                missing = missing.len(),
                "metrics from the deployed files did not arrive; rolled back"
            );
            publish(&state, "io.detectviz.deploy.rolled_back", &detail).await;
            audit(
                &state,
                "autodeploy",
                "deploy.auto_rollback",
                "telegraf.d",
                detail,
            )
            .await;
        }
    }
}
