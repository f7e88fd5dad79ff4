//! Metric writes in Telegraf's formats: InfluxDB 1.x `/write`, InfluxDB 2.x `/api/v2/write`
//! (line protocol, optionally gzip) and `/api/v1/telegraf` (Telegraf's JSON serializer).
//!
//! Partial writes follow InfluxDB: every valid line is kept; a batch with bad lines answers
//! 400 naming the first bad line, its reason, and how many lines were accepted.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use ingest::{
    BodyDecodeError, Precision, TimestampUnit, decode_body, now_ns, parse_batch_bytes_visit,
};
use serde::Deserialize;

use crate::auth::Access;
use crate::error::AppError;
use crate::routes::book::RouteBook;
use crate::state::AppState;

pub fn add_routes(book: RouteBook) -> RouteBook {
    book.add(Method::POST, "/write", Access::WriteMetrics, write_v1)
        .add(
            Method::POST,
            "/api/v2/write",
            Access::WriteMetrics,
            write_v2,
        )
        .add(
            Method::POST,
            "/api/v1/telegraf",
            Access::WriteMetrics,
            write_telegraf_json,
        )
}

/// `/write` query: `db`, `rp`, `precision`; `u` and `p` carry credentials (read by auth).
#[derive(Debug, Deserialize)]
pub struct WriteV1Query {
    pub db: Option<String>,
    pub rp: Option<String>,
    pub precision: Option<String>,
    pub u: Option<String>,
    pub p: Option<String>,
    pub consistency: Option<String>,
}

/// `/api/v2/write` query: `org`, `bucket`, `precision`.
#[derive(Debug, Deserialize)]
pub struct WriteV2Query {
    pub org: Option<String>,
    #[serde(rename = "orgID")]
    pub org_id: Option<String>,
    pub bucket: Option<String>,
    pub precision: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelegrafJsonQuery {
    /// Telegraf's `json_timestamp_units` (1s, 1ms, 1us, 1ns); inferred when absent.
    pub timestamp_units: Option<String>,
}

async fn write_v1(
    State(state): State<AppState>,
    Query(query): Query<WriteV1Query>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let precision = Precision::from_query_parameter(query.precision.as_deref())
        .map_err(|error| AppError::bad_request(format!("precision: {error}")))?;
    write_line_protocol(&state, &headers, &body, precision).await
}

async fn write_v2(
    State(state): State<AppState>,
    Query(query): Query<WriteV2Query>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let precision = Precision::from_v2_query_parameter(query.precision.as_deref())
        .map_err(|error| AppError::bad_request(format!("precision: {error}")))?;
    write_line_protocol(&state, &headers, &body, precision).await
}

async fn write_line_protocol(
    state: &AppState,
    headers: &HeaderMap,
    body: &[u8],
    precision: Precision,
) -> Result<Response, AppError> {
    let body = decoded_body(state, headers, body)?;
    let mut points = Vec::new();
    let summary = parse_batch_bytes_visit(&body, precision, now_ns(), |point| {
        points.push(point.to_point())
    });
    state.ingest.accept(points).await;
    match summary.partial_write_error() {
        None => Ok(StatusCode::NO_CONTENT.into_response()),
        Some(partial) => Ok((StatusCode::BAD_REQUEST, Json(partial)).into_response()),
    }
}

async fn write_telegraf_json(
    State(state): State<AppState>,
    Query(query): Query<TelegrafJsonQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let unit = match query.timestamp_units.as_deref() {
        None => None,
        Some(text) => Some(
            TimestampUnit::from_parameter(text)
                .map_err(|error| AppError::bad_request(format!("timestamp_units: {error}")))?,
        ),
    };
    let body = decoded_body(&state, &headers, &body)?;
    let batch = ingest::parse_telegraf_json(&body, unit, now_ns())
        .map_err(|error| AppError::bad_request(error.to_string()))?;
    let partial = batch.partial_write_error();
    state.ingest.accept(batch.points).await;
    match partial {
        None => Ok(StatusCode::NO_CONTENT.into_response()),
        Some(partial) => Ok((StatusCode::BAD_REQUEST, Json(partial)).into_response()),
    }
}

fn decoded_body<'body>(
    state: &AppState,
    headers: &HeaderMap,
    body: &'body [u8],
) -> Result<std::borrow::Cow<'body, [u8]>, AppError> {
    let encoding = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|value| value.to_str().ok());
    if encoding.is_none_or(|encoding| encoding.eq_ignore_ascii_case("identity")) {
        return Ok(std::borrow::Cow::Borrowed(body));
    }
    match decode_body(encoding, body, state.ingest.max_decompressed_bytes) {
        Ok(decoded) => Ok(std::borrow::Cow::Owned(decoded)),
        Err(error @ BodyDecodeError::TooLarge { .. }) => Err(AppError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            error.to_string(),
        )),
        Err(error) => Err(AppError::bad_request(error.to_string())),
    }
}
