//! Contacts (the spec's ContactManager): who can be notified, on which channels, in which
//! groups. Viewers read (the Slack webhook is masked); admins create, change and delete.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};

use crate::auth::{Access, UserRole};
use crate::error::AppError;
use crate::routes::book::RouteBook;
use crate::state::AppState;

pub fn add_routes(book: RouteBook) -> RouteBook {
    let viewer = Access::Role(UserRole::Viewer);
    let admin = Access::Role(UserRole::Admin);
    book.add(Method::GET, "/api/contacts", viewer, list_contacts)
        .add(Method::POST, "/api/contacts", admin, create_contact)
        .add(Method::GET, "/api/contacts/{id}", viewer, get_contact)
        .add(Method::PUT, "/api/contacts/{id}", admin, replace_contact)
        .add(Method::DELETE, "/api/contacts/{id}", admin, delete_contact)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactRequest {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub phone: String,
    /// LINE user or group id for Messaging API pushes.
    #[serde(default)]
    pub line_id: String,
    #[serde(default)]
    pub slack_webhook: String,
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub channels: Vec<String>,
    #[serde(default = "active_by_default")]
    pub active: bool,
}

fn active_by_default() -> bool {
    true
}

#[derive(Debug, Serialize)]
pub struct ContactView {
    pub id: String,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub line_id: String,
    /// Whether a Slack webhook is set; the URL itself carries a token and is never shown.
    pub slack_webhook_set: bool,
    pub groups: Vec<String>,
    pub channels: Vec<String>,
    pub active: bool,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

impl From<store::ContactRecord> for ContactView {
    fn from(record: store::ContactRecord) -> ContactView {
        ContactView {
            id: record.id,
            name: record.name,
            email: record.email,
            phone: record.phone,
            line_id: record.line_id,
            slack_webhook_set: !record.slack_webhook.is_empty(),
            groups: record.groups,
            channels: record.channels,
            active: record.active,
            created_at_ms: record.created_at_ms,
            updated_at_ms: record.updated_at_ms,
        }
    }
}

impl ContactRequest {
    fn into_new_contact(self) -> Result<store::NewContact, AppError> {
        if self.id.trim().is_empty() || self.name.trim().is_empty() {
            return Err(AppError::bad_request("id and name: must not be empty"));
        }
        if !self.email.is_empty() && !self.email.contains('@') {
            return Err(AppError::bad_request(format!(
                "email: {:?} is not an address",
                self.email
            )));
        }
        if !self.slack_webhook.is_empty() && !self.slack_webhook.starts_with("https://") {
            return Err(AppError::bad_request(
                "slack_webhook: must be an https:// URL",
            ));
        }
        Ok(store::NewContact {
            id: self.id.trim().to_string(),
            name: self.name.trim().to_string(),
            email: self.email,
            phone: self.phone,
            line_id: self.line_id,
            slack_webhook: self.slack_webhook,
            groups: self.groups,
            channels: self.channels,
            active: self.active,
        })
    }
}

async fn list_contacts(State(state): State<AppState>) -> Result<Json<Vec<ContactView>>, AppError> {
    let contacts = state.store.contacts().list().await?;
    Ok(Json(contacts.into_iter().map(ContactView::from).collect()))
}

async fn get_contact(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ContactView>, AppError> {
    let contact = state.store.contacts().get(&id).await?;
    let contact = contact.ok_or_else(|| AppError::not_found(format!("contact {id}")))?;
    Ok(Json(ContactView::from(contact)))
}

async fn create_contact(
    State(state): State<AppState>,
    Json(request): Json<ContactRequest>,
) -> Result<impl IntoResponse, AppError> {
    let contact = state
        .store
        .contacts()
        .create(&request.into_new_contact()?)
        .await?;
    Ok((StatusCode::CREATED, Json(ContactView::from(contact))))
}

async fn replace_contact(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(request): Json<ContactRequest>,
) -> Result<Json<ContactView>, AppError> {
    if request.id.trim() != id {
        return Err(AppError::bad_request(format!(
            "id: the body says {:?} but the URL says {id:?}",
            request.id
        )));
    }
    let contact = state
        .store
        .contacts()
        .update(&request.into_new_contact()?)
        .await?;
    Ok(Json(ContactView::from(contact)))
}

async fn delete_contact(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    state.store.contacts().delete(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}
