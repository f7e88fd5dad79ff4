//! Snapshots of telegraf.d over HTTP: every deploy takes one before writing (id, time,
//! author, message, SHA-256 of the set). Viewers list them, read one with its files, and diff
//! one against another or against the present directory; admins roll back, which restores
//! the snapshot's files (after snapshotting the present, so a rollback can be undone) and
//! reloads Telegraf.

use axum::extract::{Path, Query, State};
use axum::http::{Method, StatusCode};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};

use autodeploy::SnapshotManifest;
use autodeploy::snapshot::{read_directory_files, unified_diff_of_file_sets};

use crate::auth::{Access, Principal, UserRole};
use crate::error::AppError;
use crate::routes::book::RouteBook;
use crate::routes::deploy::{app_error, audit, enabled_config, lock_deploys, open, publish};
use crate::state::AppState;

/// `against` value meaning the files now in telegraf.d.
const CURRENT: &str = "current";

pub fn add_routes(book: RouteBook) -> RouteBook {
    let viewer = Access::Role(UserRole::Viewer);
    let admin = Access::Role(UserRole::Admin);
    book.add(Method::GET, "/api/snapshots", viewer, list_snapshots)
        .add(Method::GET, "/api/snapshots/{id}", viewer, get_snapshot)
        .add(
            Method::GET,
            "/api/snapshots/{id}/diff",
            viewer,
            diff_snapshot,
        )
        .add(
            Method::POST,
            "/api/snapshots/{id}/rollback",
            admin,
            rollback,
        )
}

/// Newest first.
async fn list_snapshots(
    State(state): State<AppState>,
) -> Result<Json<Vec<SnapshotManifest>>, AppError> {
    let config = enabled_config(&state)?;
    let store =
        autodeploy::SnapshotStore::new(&config.snapshot_directory, config.snapshot_retention);
    let mut manifests = store.list().map_err(app_error)?;
    manifests.reverse();
    Ok(Json(manifests))
}

#[derive(Debug, Serialize)]
pub struct SnapshotFileView {
    pub name: String,
    pub sha256: String,
    pub contents: String,
}

#[derive(Debug, Serialize)]
pub struct SnapshotView {
    #[serde(flatten)]
    pub manifest: SnapshotManifest,
    pub file_contents: Vec<SnapshotFileView>,
}

fn find_manifest(
    store: &autodeploy::SnapshotStore,
    snapshot_id: &str,
) -> Result<SnapshotManifest, AppError> {
    store
        .list()
        .map_err(app_error)?
        .into_iter()
        .find(|manifest| manifest.id == snapshot_id)
        .ok_or_else(|| AppError::not_found(format!("snapshot {snapshot_id}")))
}

async fn get_snapshot(
    State(state): State<AppState>,
    Path(snapshot_id): Path<String>,
) -> Result<Json<SnapshotView>, AppError> {
    let config = enabled_config(&state)?;
    let store =
        autodeploy::SnapshotStore::new(&config.snapshot_directory, config.snapshot_retention);
    let manifest = find_manifest(&store, &snapshot_id)?;
    let files = store.files(&snapshot_id).map_err(app_error)?;
    let file_contents = manifest
        .files
        .iter()
        .map(|entry| SnapshotFileView {
            name: entry.name.clone(),
            sha256: entry.sha256.clone(),
            contents: files
                .get(&entry.name)
                .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
                .unwrap_or_default(),
        })
        .collect();
    Ok(Json(SnapshotView {
        manifest,
        file_contents,
    }))
}

#[derive(Debug, Deserialize)]
pub struct DiffQuery {
    /// Another snapshot id, or `current` (the default) for the files now in telegraf.d.
    pub against: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct DiffView {
    pub from: String,
    pub to: String,
    /// Unified diff from the snapshot to `against`; empty when they hold the same files.
    pub diff: String,
}

async fn diff_snapshot(
    State(state): State<AppState>,
    Path(snapshot_id): Path<String>,
    Query(query): Query<DiffQuery>,
) -> Result<Json<DiffView>, AppError> {
    let config = enabled_config(&state)?;
    let store =
        autodeploy::SnapshotStore::new(&config.snapshot_directory, config.snapshot_retention);
    let from_files = store.files(&snapshot_id).map_err(app_error)?;
    let against = query.against.unwrap_or_else(|| CURRENT.to_string());
    let to_files = if against == CURRENT {
        read_directory_files(&config.telegraf_directory).map_err(app_error)?
    } else {
        store.files(&against).map_err(app_error)?
    };
    Ok(Json(DiffView {
        diff: unified_diff_of_file_sets(&from_files, &to_files),
        from: snapshot_id,
        to: against,
    }))
}

async fn rollback(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(snapshot_id): Path<String>,
) -> Result<Json<serde_json::Value>, AppError> {
    let config = enabled_config(&state)?;
    let _guard = lock_deploys()?;
    let autodeploy = open(&config)?;
    let author = principal.name.clone();
    let rollback_id = snapshot_id.clone();
    let (diff, reload) = tokio::task::spawn_blocking(move || {
        let diff = autodeploy.deployer.rollback(&rollback_id, &author)?;
        let reload = if diff.is_empty() {
            Ok(())
        } else {
            autodeploy.reloader.reload()
        };
        Ok::<_, autodeploy::AutodeployError>((diff, reload))
    })
    .await
    .map_err(|error| AppError::internal(error.to_string()))?
    .map_err(app_error)?;
    let detail = serde_json::json!({
        "snapshot_id": snapshot_id,
        "changed": !diff.is_empty(),
        "reload_error": reload.as_ref().err().map(ToString::to_string),
    });
    if !diff.is_empty() {
        audit(
            &state,
            &principal.name,
            "rollback",
            "telegraf.d",
            detail.clone(),
        )
        .await;
        publish(&state, "io.detectviz.deploy.rolled_back", &detail).await;
    }
    if let Err(error) = reload {
        return Err(AppError::new(
            StatusCode::CONFLICT,
            "reload_failed",
            format!("the files of snapshot {snapshot_id} are restored, but {error}"),
        ));
    }
    Ok(Json(serde_json::json!({
        "snapshot_id": snapshot_id,
        "changed": !diff.is_empty(),
        "diff": diff,
    })))
}
