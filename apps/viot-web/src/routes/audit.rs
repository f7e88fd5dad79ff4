//! The audit log (admin): who changed what, when, from where, with what result.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::Method;
use serde::{Deserialize, Serialize};

use crate::auth::{Access, UserRole};
use crate::error::AppError;
use crate::routes::book::RouteBook;
use crate::state::AppState;

pub fn add_routes(book: RouteBook) -> RouteBook {
    book.add(
        Method::GET,
        "/api/audit",
        Access::Role(UserRole::Admin),
        query_audit_log,
    )
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub action: Option<String>,
    /// Unix milliseconds, inclusive.
    pub since: Option<i64>,
    /// Unix milliseconds, exclusive.
    pub until: Option<i64>,
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize)]
pub struct AuditView {
    pub id: i64,
    pub at_ms: i64,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub source_ip: Option<String>,
    pub result: String,
    pub detail: serde_json::Value,
}

async fn query_audit_log(
    State(state): State<AppState>,
    Query(filter): Query<AuditFilter>,
) -> Result<Json<Vec<AuditView>>, AppError> {
    let query = store::AuditQuery {
        actor: filter.actor,
        action: filter.action,
        since_ms: filter.since,
        until_ms: filter.until,
        limit: filter.limit.unwrap_or(100),
    };
    let entries = state.store.audit_log().query(&query).await?;
    let views = entries
        .into_iter()
        .map(|entry| AuditView {
            id: entry.id,
            at_ms: entry.at_ms,
            actor: entry.actor,
            action: entry.action,
            target: entry.target,
            source_ip: entry.source_ip,
            result: entry.result,
            detail: entry.detail,
        })
        .collect();
    Ok(Json(views))
}
