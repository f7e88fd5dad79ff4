//! The file and CSV editors' API over the configured roots (`[files]`): list, read, validate,
//! diff preview, save with a snapshot, and the snapshots of a file with restore. The file's
//! path is one URL segment with its slashes encoded (`conf/pages.yaml` →
//! `/api/files/conf/pages.yaml`, `a/b.yaml` → `/api/files/conf/a%2Fb.yaml`). Viewers see
//! the list, operators read, validate and diff (files may hold credentials), admins save.

use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::auth::{Access, Principal, UserRole};
use crate::error::AppError;
use crate::files::confine::{FileRoots, ResolvedFile};
use crate::files::save::{SaveRequest, read_file, save_file, unified_diff};
use crate::files::validate::{FileProblem, validate_content};
use crate::files::{CsvSchema, FileKind, FilesConfig, FilesError, csv_check};
use crate::routes::book::RouteBook;
use crate::state::AppState;

pub fn add_routes(book: RouteBook) -> RouteBook {
    let viewer = Access::Role(UserRole::Viewer);
    let operator = Access::Role(UserRole::Operator);
    let admin = Access::Role(UserRole::Admin);
    book.add(Method::GET, "/api/files", viewer, list_files)
        .add(Method::GET, "/api/files/{root}/{path}", operator, get_file)
        .add(Method::PUT, "/api/files/{root}/{path}", admin, put_file)
        .add(
            Method::POST,
            "/api/files/{root}/{path}/validate",
            operator,
            validate_file,
        )
        .add(
            Method::POST,
            "/api/files/{root}/{path}/diff",
            operator,
            diff_file,
        )
        .add(
            Method::GET,
            "/api/files/{root}/{path}/snapshots",
            operator,
            list_snapshots,
        )
        .add(
            Method::GET,
            "/api/files/{root}/{path}/snapshots/{version}",
            operator,
            get_snapshot,
        )
        .add(
            Method::POST,
            "/api/files/{root}/{path}/snapshots/{version}/restore",
            admin,
            restore_snapshot,
        )
}

/// New content for validate and diff.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContentBody {
    pub content: String,
}

/// New content to save.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SaveBody {
    pub content: String,
    /// Why: kept with the snapshot.
    #[serde(default)]
    pub message: String,
    /// The hash the editor read; refused with 409 when the file changed since.
    #[serde(default)]
    pub base_hash: Option<String>,
}

#[derive(Debug, Serialize)]
struct SnapshotView {
    version: i64,
    author: String,
    message: String,
    hash: String,
    size: i64,
    created_at_ms: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    content: Option<String>,
}

impl SnapshotView {
    fn from_snapshot(snapshot: store::FileSnapshot, with_content: bool) -> SnapshotView {
        SnapshotView {
            version: snapshot.version,
            author: snapshot.author,
            message: snapshot.message,
            hash: snapshot.hash,
            size: snapshot.size,
            created_at_ms: snapshot.created_at_ms,
            content: with_content.then_some(snapshot.content),
        }
    }
}

fn files_config(state: &AppState) -> FilesConfig {
    state.config.current().files.clone()
}

fn resolve(config: &FilesConfig, root: &str, path: &str) -> Result<ResolvedFile, AppError> {
    Ok(FileRoots::new(config).resolve(root, path)?)
}

async fn list_files(State(state): State<AppState>) -> Json<serde_json::Value> {
    let config = files_config(&state);
    let roots: Vec<serde_json::Value> = FileRoots::new(&config)
        .list()
        .into_iter()
        .map(|root| {
            let csv_header = (root.csv_schema == CsvSchema::HealthcheckTargets).then(|| {
                autodeploy::healthcheck::HEALTHCHECK_CSV_HEADER
                    .split(',')
                    .collect::<Vec<_>>()
            });
            let mut value = serde_json::to_value(&root).unwrap_or_default();
            value["csv_header"] = json!(csv_header);
            value
        })
        .collect();
    Json(json!({"max_file_bytes": config.max_file_bytes, "roots": roots}))
}

async fn get_file(
    State(state): State<AppState>,
    Path((root, path)): Path<(String, String)>,
) -> Result<Json<serde_json::Value>, AppError> {
    let config = files_config(&state);
    let file = resolve(&config, &root, &path)?;
    let content = read_file(&file, config.max_file_bytes)?.ok_or(FilesError::NotFound {
        root: file.root.clone(),
        path: file.relative.clone(),
    })?;
    let table = match file.kind {
        FileKind::Csv => csv_check::parse_csv(&content.content).ok(),
        _ => None,
    };
    Ok(Json(json!({
        "root": file.root, "path": file.relative, "kind": file.kind,
        "csv_schema": file.csv_schema, "content": content.content, "hash": content.hash,
        "size": content.size, "modified_ms": content.modified_ms, "table": table,
    })))
}

fn problems_of(file: &ResolvedFile, content: &str) -> Vec<FileProblem> {
    let file_name = file.relative.rsplit('/').next().unwrap_or("");
    validate_content(file.kind, file.csv_schema, file_name, content)
}

fn too_large(file: &ResolvedFile, content: &str, limit: usize) -> Result<(), AppError> {
    if content.len() <= limit {
        return Ok(());
    }
    Err(FilesError::TooLarge {
        path: file.relative.clone(),
        size: content.len(),
        limit,
    }
    .into())
}

async fn validate_file(
    State(state): State<AppState>,
    Path((root, path)): Path<(String, String)>,
    Json(body): Json<ContentBody>,
) -> Result<Json<serde_json::Value>, AppError> {
    let config = files_config(&state);
    let file = resolve(&config, &root, &path)?;
    too_large(&file, &body.content, config.max_file_bytes)?;
    let problems = problems_of(&file, &body.content);
    Ok(Json(
        json!({"valid": problems.is_empty(), "errors": problems}),
    ))
}

async fn diff_file(
    State(state): State<AppState>,
    Path((root, path)): Path<(String, String)>,
    Json(body): Json<ContentBody>,
) -> Result<Json<serde_json::Value>, AppError> {
    let config = files_config(&state);
    let file = resolve(&config, &root, &path)?;
    too_large(&file, &body.content, config.max_file_bytes)?;
    let saved = read_file(&file, config.max_file_bytes)?;
    let (saved_text, base_hash) = match &saved {
        Some(saved) => (saved.content.as_str(), Some(saved.hash.clone())),
        None => ("", None),
    };
    let diff = unified_diff(&file, saved_text, &body.content);
    Ok(Json(json!({
        "changed": saved_text != body.content, "diff": diff, "base_hash": base_hash,
    })))
}

/// 422 with every problem; the file is not touched.
fn invalid_response(problems: Vec<FileProblem>) -> Response {
    let first = problems
        .first()
        .map(|problem| match problem.line {
            Some(line) => format!("line {line}: {}", problem.message),
            None => problem.message.clone(),
        })
        .unwrap_or_default();
    let body = json!({"error": {
        "code": "invalid_file",
        "message": format!("the file is not saved: {first}"),
        "errors": problems,
    }});
    (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
}

async fn put_file(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((root, path)): Path<(String, String)>,
    Json(body): Json<SaveBody>,
) -> Result<Response, AppError> {
    let config = files_config(&state);
    let file = resolve(&config, &root, &path)?;
    too_large(&file, &body.content, config.max_file_bytes)?;
    let problems = problems_of(&file, &body.content);
    if !problems.is_empty() {
        return Ok(invalid_response(problems));
    }
    let request = SaveRequest {
        content: &body.content,
        author: &principal.name,
        message: &body.message,
        base_hash: body.base_hash.as_deref(),
    };
    let saved = save_file(&state.store, &file, config.max_file_bytes, &request).await?;
    audit_save(
        &state,
        &principal,
        &file,
        "file.save",
        saved.version,
        &body.message,
    )
    .await;
    Ok(Json(saved).into_response())
}

async fn list_snapshots(
    State(state): State<AppState>,
    Path((root, path)): Path<(String, String)>,
) -> Result<Json<Vec<SnapshotView>>, AppError> {
    let config = files_config(&state);
    let file = resolve(&config, &root, &path)?;
    let snapshots = state
        .store
        .file_snapshots()
        .list(&file.root, &file.relative, 200)
        .await?;
    Ok(Json(
        snapshots
            .into_iter()
            .map(|snapshot| SnapshotView::from_snapshot(snapshot, false))
            .collect(),
    ))
}

async fn find_snapshot(
    state: &AppState,
    file: &ResolvedFile,
    version: i64,
) -> Result<store::FileSnapshot, AppError> {
    state
        .store
        .file_snapshots()
        .get(&file.root, &file.relative, version)
        .await?
        .ok_or_else(|| {
            AppError::not_found(format!(
                "no version {version} of {}/{}",
                file.root, file.relative
            ))
        })
}

async fn get_snapshot(
    State(state): State<AppState>,
    Path((root, path, version)): Path<(String, String, i64)>,
) -> Result<Json<SnapshotView>, AppError> {
    let config = files_config(&state);
    let file = resolve(&config, &root, &path)?;
    let snapshot = find_snapshot(&state, &file, version).await?;
    Ok(Json(SnapshotView::from_snapshot(snapshot, true)))
}

/// Writes an earlier version back (as a new version, the current content snapshotted first).
async fn restore_snapshot(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((root, path, version)): Path<(String, String, i64)>,
) -> Result<Json<crate::files::save::SavedFile>, AppError> {
    let config = files_config(&state);
    let file = resolve(&config, &root, &path)?;
    let snapshot = find_snapshot(&state, &file, version).await?;
    let message = format!("restored version {version}");
    let request = SaveRequest {
        content: &snapshot.content,
        author: &principal.name,
        message: &message,
        base_hash: None,
    };
    let saved = save_file(&state.store, &file, config.max_file_bytes, &request).await?;
    audit_save(
        &state,
        &principal,
        &file,
        "file.restore",
        saved.version,
        &message,
    )
    .await;
    Ok(Json(saved))
}

/// An audit record naming the file and the version, beside the request's own record.
async fn audit_save(
    state: &AppState,
    principal: &Principal,
    file: &ResolvedFile,
    action: &str,
    version: i64,
    message: &str,
) {
    let entry = store::NewAuditEntry {
        at_ms: chrono::Utc::now().timestamp_millis(),
        actor: principal.name.clone(),
        action: action.to_string(),
        target: format!("{}/{}", file.root, file.relative),
        source_ip: None,
        result: "200".into(),
        detail: json!({"version": version, "message": message}),
    };
    if let Err(error) = state.store.audit_log().append(&entry).await {
        tracing::error!(%error, "cannot write the audit record of a file save");
    }
}
