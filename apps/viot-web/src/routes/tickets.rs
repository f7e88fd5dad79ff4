//! Tickets opened for alerts (the `tickets` table: at most one open ticket per alert): viewers
//! list and read them, operators acknowledge, assign and close them. The automation executor
//! closes a ticket itself when its alert resolves (`resolved_at_ms` set).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::Method;
use serde::{Deserialize, Serialize};

use crate::auth::{Access, UserRole};
use crate::error::AppError;
use crate::routes::book::RouteBook;
use crate::state::AppState;

pub fn add_routes(book: RouteBook) -> RouteBook {
    let viewer = Access::Role(UserRole::Viewer);
    let operator = Access::Role(UserRole::Operator);
    book.add(Method::GET, "/api/tickets", viewer, list_tickets)
        .add(Method::GET, "/api/tickets/{id}", viewer, get_ticket)
        .add(Method::PATCH, "/api/tickets/{id}", operator, update_ticket)
}

#[derive(Debug, Serialize)]
pub struct TicketView {
    pub id: String,
    pub fingerprint: String,
    pub title: String,
    pub description: String,
    pub severity: String,
    pub status: String,
    pub assignee: String,
    pub alert_link: String,
    pub run_id: Option<String>,
    pub external_id: Option<String>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    pub closed_at_ms: Option<i64>,
    /// Set when the ticket was closed because its alert resolved.
    pub resolved_at_ms: Option<i64>,
}

impl From<store::TicketRecord> for TicketView {
    fn from(record: store::TicketRecord) -> TicketView {
        TicketView {
            id: record.ticket.id,
            fingerprint: record.ticket.fingerprint,
            title: record.ticket.title,
            description: record.ticket.description,
            severity: record.ticket.severity,
            status: record.status,
            assignee: record.ticket.assignee,
            alert_link: record.ticket.alert_link,
            run_id: record.ticket.run_id,
            external_id: record.external_id,
            created_at_ms: record.created_at_ms,
            updated_at_ms: record.updated_at_ms,
            closed_at_ms: record.closed_at_ms,
            resolved_at_ms: record.resolved_at_ms,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TicketFilter {
    pub status: Option<String>,
    pub limit: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TicketUpdate {
    pub status: Option<String>,
    pub assignee: Option<String>,
}

async fn list_tickets(
    State(state): State<AppState>,
    Query(filter): Query<TicketFilter>,
) -> Result<Json<Vec<TicketView>>, AppError> {
    let tickets = state
        .store
        .tickets()
        .list(filter.status.as_deref(), filter.limit.unwrap_or(100))
        .await?;
    Ok(Json(tickets.into_iter().map(TicketView::from).collect()))
}

async fn get_ticket(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<TicketView>, AppError> {
    let ticket = state.store.tickets().get(&id).await?;
    let ticket = ticket.ok_or_else(|| AppError::not_found(format!("ticket {id}")))?;
    Ok(Json(TicketView::from(ticket)))
}

async fn update_ticket(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(update): Json<TicketUpdate>,
) -> Result<Json<TicketView>, AppError> {
    let tickets = state.store.tickets();
    let current = tickets
        .get(&id)
        .await?
        .ok_or_else(|| AppError::not_found(format!("ticket {id}")))?;
    let status = update.status.unwrap_or(current.status);
    if !store::tickets::TICKET_STATUSES.contains(&status.as_str()) {
        return Err(AppError::bad_request(format!(
            "status: {status:?} is none of open, acknowledged, closed"
        )));
    }
    let assignee = update.assignee.unwrap_or(current.ticket.assignee);
    let updated = tickets.update(&id, &status, &assignee).await?;
    Ok(Json(TicketView::from(updated)))
}
