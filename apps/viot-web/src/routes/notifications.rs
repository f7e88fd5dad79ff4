//! Delivery status of notifications (viewer access): `GET /api/notifications` lists the
//! notifier's outbox rows newest first, filtered by `status`, `receiver` and alert
//! `fingerprint`, paged with `limit` and `before` (the previous page's `next_before`);
//! `GET /api/notifications/{id}` shows one. Each row says where its delivery is (pending,
//! sending, retrying, sent, failed, suppressed), its attempts, last error and the provider's
//! message id. Only channel names appear, never channel URLs or tokens: the errors the
//! channels record are built without them.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::Method;
use serde::{Deserialize, Serialize};
use store::{DeliveryStatus, NotificationFilter, NotificationRecord};

use crate::auth::{Access, UserRole};
use crate::error::AppError;
use crate::routes::book::RouteBook;
use crate::state::AppState;

/// Rows per page unless `limit` says otherwise, and the most a page may hold.
const DEFAULT_PAGE: u32 = 50;
const MAX_PAGE: u32 = 500;

pub fn add_routes(book: RouteBook) -> RouteBook {
    let viewer = Access::Role(UserRole::Viewer);
    book.add(
        Method::GET,
        "/api/notifications",
        viewer,
        list_notifications,
    )
    .add(
        Method::GET,
        "/api/notifications/{id}",
        viewer,
        get_notification,
    )
}

/// `GET /api/notifications` query parameters.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    pub status: Option<String>,
    pub receiver: Option<String>,
    pub fingerprint: Option<String>,
    pub limit: Option<u32>,
    pub before: Option<i64>,
}

/// One alert a notification is about.
#[derive(Debug, Serialize)]
pub struct NotifiedAlert {
    pub fingerprint: String,
    pub alertname: String,
    /// `firing` or `resolved`.
    pub state: String,
    pub severity: String,
}

/// A notification's delivery record.
#[derive(Debug, Serialize)]
pub struct NotificationView {
    pub id: i64,
    pub status: &'static str,
    pub receiver: String,
    pub channel: String,
    /// The contact this row goes to when the receiver is a contact group; `null` otherwise.
    pub contact_id: Option<String>,
    pub group_key: String,
    pub group_labels: serde_json::Value,
    pub alerts: Vec<NotifiedAlert>,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub provider_message_id: Option<String>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    pub next_attempt_at_ms: Option<i64>,
}

#[derive(Debug, Serialize)]
pub struct NotificationPage {
    pub notifications: Vec<NotificationView>,
    /// Pass as `before` for the next page; `null` on the last page.
    pub next_before: Option<i64>,
}

impl From<NotificationRecord> for NotificationView {
    fn from(record: NotificationRecord) -> NotificationView {
        let transitions = record.payload["transitions"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let text = |value: &serde_json::Value| value.as_str().unwrap_or_default().to_string();
        let alerts = transitions
            .iter()
            .map(|transition| NotifiedAlert {
                fingerprint: text(&transition["fingerprint"]),
                alertname: text(&transition["labels"]["alertname"]),
                state: text(&transition["to"]),
                severity: text(&transition["severity"]),
            })
            .collect();
        NotificationView {
            id: record.id,
            status: record.status.as_str(),
            receiver: record.receiver,
            channel: record.channel,
            contact_id: Some(record.contact_id).filter(|contact| !contact.is_empty()),
            group_key: record.group_key,
            group_labels: record.payload["group_labels"].clone(),
            alerts,
            attempts: record.attempts,
            last_error: record.last_error,
            provider_message_id: record.provider_message_id,
            created_at_ms: record.created_at_ms,
            updated_at_ms: record.updated_at_ms,
            next_attempt_at_ms: record.next_attempt_at_ms,
        }
    }
}

impl ListQuery {
    fn into_filter(self) -> Result<NotificationFilter, AppError> {
        let status = match self.status.as_deref() {
            None | Some("") => None,
            Some(text) => Some(DeliveryStatus::parse(text).ok_or_else(|| {
                AppError::bad_request(format!(
                    "status: {text:?} is not one of pending, sending, retrying, sent, failed, \
                     suppressed"
                ))
            })?),
        };
        let fingerprint = self.fingerprint.filter(|text| !text.is_empty());
        if let Some(text) = &fingerprint
            && !text
                .chars()
                .all(|character| character.is_ascii_alphanumeric())
        {
            return Err(AppError::bad_request(format!(
                "fingerprint: {text:?} must be letters and digits (16 hex digits)"
            )));
        }
        let limit = self.limit.unwrap_or(DEFAULT_PAGE);
        if limit == 0 || limit > MAX_PAGE {
            return Err(AppError::bad_request(format!(
                "limit: {limit} must be between 1 and {MAX_PAGE}"
            )));
        }
        Ok(NotificationFilter {
            status,
            receiver: self.receiver.filter(|text| !text.is_empty()),
            fingerprint,
            before_id: self.before,
            limit,
        })
    }
}

async fn list_notifications(
    State(state): State<AppState>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<NotificationPage>, AppError> {
    let Query(query) = query.map_err(|rejection| {
        AppError::bad_request(format!("query string: {}", rejection.body_text()))
    })?;
    let filter = query.into_filter()?;
    let records = state.store.notifications().list(&filter).await?;
    let full_page = records.len() == filter.limit as usize;
    let next_before = full_page
        .then(|| records.last().map(|record| record.id))
        .flatten();
    Ok(Json(NotificationPage {
        notifications: records.into_iter().map(NotificationView::from).collect(),
        next_before,
    }))
}

async fn get_notification(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<NotificationView>, AppError> {
    let parsed: i64 = id
        .parse()
        .map_err(|_| AppError::bad_request(format!("notification id {id:?} is not a number")))?;
    let record = state.store.notifications().get(parsed).await?;
    let record = record.ok_or_else(|| AppError::not_found(format!("notification {parsed}")))?;
    Ok(Json(NotificationView::from(record)))
}
