//! Health-check targets over HTTP: the CSV file of `[autodeploy] healthcheck_targets_file`
//! (`name,url,method,expected_status,timeout_seconds`; `tcp://host:port` or `host:port` for
//! TCP checks) read with the Telegraf block each target becomes (`inputs.http_response` or
//! `inputs.net_response`), and replaced as a whole by admins. Every CSV problem is answered
//! with its row and column; the file changes only when there are none. The next deploy
//! writes the blocks into telegraf.d.

use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};

use autodeploy::healthcheck::{HealthcheckCsvProblem, check_healthcheck_csv};
use autodeploy::{AutodeployConfig, HealthcheckTarget};

use crate::auth::{Access, Principal, UserRole};
use crate::error::AppError;
use crate::routes::book::RouteBook;
use crate::routes::deploy::{app_error, audit, enabled_config};
use crate::state::AppState;

pub fn add_routes(book: RouteBook) -> RouteBook {
    let viewer = Access::Role(UserRole::Viewer);
    let admin = Access::Role(UserRole::Admin);
    book.add(Method::GET, "/api/healthcheck/targets", viewer, get_targets)
        .add(Method::PUT, "/api/healthcheck/targets", admin, put_targets)
}

/// The targets of the configured file; none when it does not exist. A file with problems
/// is a 422 naming them.
pub(crate) fn read_targets(config: &AutodeployConfig) -> Result<Vec<HealthcheckTarget>, AppError> {
    let text = read_csv(config)?;
    check_healthcheck_csv(&text).map_err(|problems| {
        AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            format!(
                "{}: {}",
                config.healthcheck_targets_file.display(),
                problems
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        )
    })
}

fn read_csv(config: &AutodeployConfig) -> Result<String, AppError> {
    match std::fs::read_to_string(&config.healthcheck_targets_file) {
        Ok(text) => Ok(text),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(error) => Err(AppError::internal(format!(
            "reading {}: {error}",
            config.healthcheck_targets_file.display()
        ))),
    }
}

#[derive(Debug, Serialize)]
pub struct GeneratedBlock {
    pub target: String,
    pub file_name: String,
    pub contents: String,
}

#[derive(Debug, Serialize)]
pub struct TargetsView {
    pub file: String,
    pub csv: String,
    pub targets: Vec<HealthcheckTarget>,
    /// The Telegraf file each target becomes.
    pub blocks: Vec<GeneratedBlock>,
    /// Problems of the stored file (only when it was edited by hand).
    pub problems: Vec<HealthcheckCsvProblem>,
}

fn view(config: &AutodeployConfig, csv: String) -> Result<TargetsView, AppError> {
    let (targets, problems) = match check_healthcheck_csv(&csv) {
        Ok(targets) => (targets, Vec::new()),
        Err(problems) => (Vec::new(), problems),
    };
    let mut blocks = Vec::with_capacity(targets.len());
    for target in &targets {
        let file = target.generate_file().map_err(app_error)?;
        blocks.push(GeneratedBlock {
            target: target.name.clone(),
            file_name: file.file_name,
            contents: file.contents,
        });
    }
    Ok(TargetsView {
        file: config.healthcheck_targets_file.display().to_string(),
        csv,
        targets,
        blocks,
        problems,
    })
}

async fn get_targets(State(state): State<AppState>) -> Result<Json<TargetsView>, AppError> {
    let config = enabled_config(&state)?;
    let csv = read_csv(&config)?;
    Ok(Json(view(&config, csv)?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PutTargetsRequest {
    /// The whole file: the header row, then one row per target.
    pub csv: String,
}

async fn put_targets(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Json(request): Json<PutTargetsRequest>,
) -> Result<Response, AppError> {
    let config = enabled_config(&state)?;
    if let Err(problems) = check_healthcheck_csv(&request.csv) {
        let message = format!("{} problem(s) in the CSV", problems.len());
        let body = serde_json::json!({
            "error": {"code": "invalid", "message": message},
            "problems": problems,
        });
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response());
    }
    let path = &config.healthcheck_targets_file;
    if let Some(parent) = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent).map_err(|error| {
            AppError::internal(format!("creating {}: {error}", parent.display()))
        })?;
    }
    autodeploy::snapshot::write_atomically(path, request.csv.as_bytes()).map_err(app_error)?;
    let view = view(&config, request.csv)?;
    let names: Vec<&str> = view
        .targets
        .iter()
        .map(|target| target.name.as_str())
        .collect();
    audit(
        &state,
        &principal.name,
        "healthcheck.targets",
        &view.file,
        serde_json::json!({"targets": names}),
    )
    .await;
    Ok(Json(view).into_response())
}
