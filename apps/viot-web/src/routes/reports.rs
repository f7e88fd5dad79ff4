//! Reports: list the generated reports (viewers), generate one on demand (operators), and
//! download its HTML, CSV or PDF file (viewers). Works with or without a `[reporter]`
//! section: without one, on-demand reports use the defaults and nothing is scheduled.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use chrono::Utc;
use reporter::{Format, Language, Period, ReportKind, Reporter, ReporterError};
use serde::{Deserialize, Serialize};

use crate::auth::{Access, Principal, UserRole};
use crate::error::AppError;
use crate::routes::book::RouteBook;
use crate::state::AppState;

pub fn add_routes(book: RouteBook) -> RouteBook {
    let viewer = Access::Role(UserRole::Viewer);
    let operator = Access::Role(UserRole::Operator);
    book.add(Method::GET, "/api/reports", viewer, list_reports)
        .add(Method::POST, "/api/reports", operator, generate_report)
        .add(
            Method::GET,
            "/api/reports/{id}/{format}",
            viewer,
            download_report,
        )
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    #[serde(default = "default_limit")]
    pub limit: u32,
}

fn default_limit() -> u32 {
    100
}

#[derive(Debug, Serialize)]
pub struct ReportView {
    pub id: String,
    pub kind: String,
    pub title: String,
    pub language: String,
    pub period_from_ms: i64,
    pub period_to_ms: i64,
    pub formats: Vec<String>,
    pub summary_backend: String,
    pub created_by: String,
    pub created_at_ms: i64,
    /// Download paths, one per format.
    pub links: Vec<String>,
}

impl From<store::ReportRecord> for ReportView {
    fn from(record: store::ReportRecord) -> ReportView {
        let links = record
            .formats
            .iter()
            .map(|format| format!("/api/reports/{}/{format}", record.id))
            .collect();
        ReportView {
            id: record.id,
            kind: record.kind,
            title: record.title,
            language: record.language,
            period_from_ms: record.period_from_ms,
            period_to_ms: record.period_to_ms,
            formats: record.formats,
            summary_backend: record.summary_backend,
            created_by: record.created_by,
            created_at_ms: record.created_at_ms,
            links,
        }
    }
}

/// `POST /api/reports`: every field optional. `daily`/`weekly` without a period take the
/// previous day/week; `on_demand` (the default) without one takes the last 24 hours.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct GenerateRequest {
    pub kind: Option<ReportKind>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    pub language: Option<Language>,
}

fn reporter_of(state: &AppState) -> Result<Reporter, AppError> {
    let config = state.config.current().reporter.clone().unwrap_or_default();
    Reporter::new(config, state.store.clone()).map_err(app_error)
}

fn app_error(error: ReporterError) -> AppError {
    match error {
        ReporterError::InvalidRequest(message) => AppError::bad_request(message),
        ReporterError::Store(error) => AppError::from(error),
        other => AppError::internal(other.to_string()),
    }
}

async fn list_reports(
    State(state): State<AppState>,
    Query(query): Query<ListQuery>,
) -> Result<Json<Vec<ReportView>>, AppError> {
    let reports = state.store.reports().list(query.limit).await?;
    Ok(Json(reports.into_iter().map(ReportView::from).collect()))
}

async fn generate_report(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Json(request): Json<GenerateRequest>,
) -> Result<impl IntoResponse, AppError> {
    let reporter = reporter_of(&state)?;
    let kind = request.kind.unwrap_or(ReportKind::OnDemand);
    let offset = reporter::period::offset_from_minutes(reporter.config().utc_offset_minutes);
    let now = Utc::now();
    let period = match (request.from_ms, request.to_ms, kind) {
        (Some(from_ms), Some(to_ms), _) => Period::new(from_ms, to_ms).map_err(app_error)?,
        (None, None, ReportKind::OnDemand) => {
            let to_ms = now.timestamp_millis();
            Period::new(to_ms - 24 * 3_600_000, to_ms).map_err(app_error)?
        }
        (None, None, kind) => Period::previous(kind, now, offset),
        _ => {
            return Err(AppError::bad_request(
                "from_ms and to_ms: give both or neither",
            ));
        }
    };
    let record = reporter
        .generate(kind, period, request.language, &principal.name)
        .await
        .map_err(app_error)?;
    Ok((StatusCode::CREATED, Json(ReportView::from(record))))
}

async fn download_report(
    State(state): State<AppState>,
    Path((id, format)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let format = Format::parse(&format).map_err(app_error)?;
    let reporter = reporter_of(&state)?;
    let path = reporter.export_path(&id, format).await.map_err(app_error)?;
    let Some(path) = path else {
        return Err(AppError::not_found(format!(
            "report {id} in {}",
            format.extension()
        )));
    };
    let bytes = tokio::fs::read(&path).await.map_err(|error| {
        AppError::not_found(format!("report {id} file {}: {error}", path.display()))
    })?;
    let mut response = Response::new(Body::from(bytes));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    let disposition = format!("attachment; filename=\"{id}.{}\"", format.extension());
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}
