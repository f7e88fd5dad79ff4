//! Alerts raised by the rule engine: list with filters, detail with history and the answers
//! of automation `llm` runs, acknowledge.

use axum::extract::{Path, Query, State};
use axum::http::{Method, StatusCode};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};

use crate::auth::{Access, Principal, UserRole};
use crate::error::AppError;
use crate::routes::book::RouteBook;
use crate::state::AppState;

pub fn add_routes(book: RouteBook) -> RouteBook {
    let viewer = Access::Role(UserRole::Viewer);
    let operator = Access::Role(UserRole::Operator);
    book.add(Method::GET, "/api/alerts", viewer, list_alerts)
        .add(
            Method::GET,
            "/api/alerts/{fingerprint}",
            viewer,
            alert_detail,
        )
        .add(
            Method::POST,
            "/api/alerts/{fingerprint}/ack",
            operator,
            acknowledge_alert,
        )
        .add(
            Method::DELETE,
            "/api/alerts/{fingerprint}/ack",
            operator,
            clear_acknowledgement,
        )
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertListQuery {
    pub state: Option<String>,
    pub severity: Option<String>,
    pub rule_id: Option<String>,
    /// `name=value`; only alerts with that label.
    pub label: Option<String>,
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize)]
pub struct AlertView {
    pub fingerprint: String,
    pub rule_id: String,
    pub rule_name: String,
    pub severity: String,
    pub state: String,
    pub labels: std::collections::BTreeMap<String, String>,
    pub annotations: std::collections::BTreeMap<String, String>,
    pub value: Option<f64>,
    pub active_since_ms: Option<i64>,
    pub updated_at_ms: i64,
    pub resolved_at_ms: Option<i64>,
    pub acknowledgement: Option<AcknowledgementView>,
}

#[derive(Debug, Serialize)]
pub struct AcknowledgementView {
    pub by: String,
    pub at_ms: i64,
    pub comment: String,
    pub severity_at_ack: String,
}

impl From<store::AlertRecord> for AlertView {
    fn from(record: store::AlertRecord) -> AlertView {
        let current = record.current;
        AlertView {
            fingerprint: current.fingerprint,
            rule_id: current.rule_id,
            rule_name: current.rule_name,
            severity: current.severity,
            state: current.state,
            labels: current.labels,
            annotations: current.annotations,
            value: current.value,
            active_since_ms: current.active_since_ms,
            updated_at_ms: current.updated_at_ms,
            resolved_at_ms: current.resolved_at_ms,
            acknowledgement: record.acknowledgement.map(|ack| AcknowledgementView {
                by: ack.by,
                at_ms: ack.at_ms,
                comment: ack.comment,
                severity_at_ack: ack.severity_at_ack,
            }),
        }
    }
}

async fn list_alerts(
    State(state): State<AppState>,
    Query(query): Query<AlertListQuery>,
) -> Result<Json<Vec<AlertView>>, AppError> {
    let mut label_equals = Vec::new();
    if let Some(label) = &query.label {
        let Some((name, value)) = label.split_once('=') else {
            return Err(AppError::bad_request(format!(
                "label: {label:?} is not name=value"
            )));
        };
        label_equals.push((name.to_string(), value.to_string()));
    }
    let filter = store::AlertFilter {
        state: query.state,
        severity: query.severity,
        rule_id: query.rule_id,
        label_equals,
        limit: Some(query.limit.unwrap_or(500).min(5_000)),
    };
    let records = state.store.alerts().list(&filter).await?;
    Ok(Json(records.into_iter().map(AlertView::from).collect()))
}

async fn alert_detail(
    State(state): State<AppState>,
    Path(fingerprint): Path<String>,
) -> Result<Json<serde_json::Value>, AppError> {
    let record = state.store.alerts().get(&fingerprint).await?;
    let record = record.ok_or_else(|| AppError::not_found(format!("alert {fingerprint}")))?;
    let history: Vec<serde_json::Value> = state
        .store
        .alert_events()
        .history(&fingerprint, 200)
        .await?
        .into_iter()
        .map(|event| {
            serde_json::json!({
                "kind": event.kind, "from": event.from_state, "to": event.to_state,
                "severity": event.severity, "previous_severity": event.previous_severity,
                "value": event.value, "at_ms": event.at_ms,
            })
        })
        .collect();
    // What automation `llm` runs answered about this alert, newest first.
    let analyses: Vec<serde_json::Value> = state
        .store
        .alert_analyses()
        .for_alert(&fingerprint, 20)
        .await?
        .into_iter()
        .map(|analysis| {
            let answer = serde_json::from_str(&analysis.answer)
                .unwrap_or(serde_json::Value::String(analysis.answer));
            serde_json::json!({
                "run_id": analysis.run_id, "rule_id": analysis.rule_id,
                "at_ms": analysis.created_at_ms, "answer": answer,
            })
        })
        .collect();
    Ok(Json(serde_json::json!({
        "alert": AlertView::from(record),
        "history": history,
        "analyses": analyses,
    })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcknowledgeRequest {
    #[serde(default)]
    pub comment: String,
}

async fn acknowledge_alert(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(fingerprint): Path<String>,
    Json(request): Json<AcknowledgeRequest>,
) -> Result<Json<AlertView>, AppError> {
    let alerts = state.store.alerts();
    let record = alerts
        .get(&fingerprint)
        .await?
        .ok_or_else(|| AppError::not_found(format!("alert {fingerprint}")))?;
    if record.current.state != "firing" && record.current.state != "pending" {
        return Err(AppError::new(
            StatusCode::CONFLICT,
            "conflict",
            format!(
                "alert {fingerprint} is {}; only pending or firing alerts can be acknowledged",
                record.current.state
            ),
        ));
    }
    let now_ms = chrono::Utc::now().timestamp_millis();
    alerts
        .acknowledge(
            &fingerprint,
            &principal.name,
            now_ms,
            &request.comment,
            &record.current.severity,
        )
        .await?;
    let record = alerts
        .get(&fingerprint)
        .await?
        .ok_or_else(|| AppError::not_found(format!("alert {fingerprint}")))?;
    Ok(Json(AlertView::from(record)))
}

async fn clear_acknowledgement(
    State(state): State<AppState>,
    Path(fingerprint): Path<String>,
) -> Result<StatusCode, AppError> {
    state
        .store
        .alerts()
        .clear_acknowledgement(&fingerprint)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
