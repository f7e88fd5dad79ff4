//! `/api/secrets`: admins store, list, inspect and delete encrypted secrets (SMTP password,
//! Slack and LINE tokens, webhook keys). Values go in and never come out: every answer is
//! masked metadata (name, version, key id, when and by whom).

use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use axum::response::IntoResponse;
use axum::{Extension, Json};
use serde::Deserialize;

use crate::auth::{Access, Principal, UserRole};
use crate::error::AppError;
use crate::routes::book::RouteBook;
use crate::secret_store::{SecretKeys, SecretMetadata, SecretStore};
use crate::state::AppState;

pub fn add_routes(book: RouteBook) -> RouteBook {
    let admin = Access::Role(UserRole::Admin);
    book.add(Method::GET, "/api/secrets", admin, list_secrets)
        .add(Method::GET, "/api/secrets/{name}", admin, secret_versions)
        .add(Method::PUT, "/api/secrets/{name}", admin, set_secret)
        .add(Method::DELETE, "/api/secrets/{name}", admin, delete_secret)
}

/// The body of `PUT /api/secrets/{name}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetSecretRequest {
    pub value: String,
}

/// The secret store with the keys as configured now.
pub fn secret_store(state: &AppState) -> Result<SecretStore, AppError> {
    let keys = SecretKeys::load(&state.config.current().secrets)?;
    Ok(SecretStore::new(state.store.clone(), keys))
}

async fn list_secrets(
    State(state): State<AppState>,
) -> Result<Json<Vec<SecretMetadata>>, AppError> {
    Ok(Json(secret_store(&state)?.list().await?))
}

async fn secret_versions(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<Vec<SecretMetadata>>, AppError> {
    Ok(Json(secret_store(&state)?.versions(&name).await?))
}

async fn set_secret(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(name): Path<String>,
    Json(request): Json<SetSecretRequest>,
) -> Result<Json<SecretMetadata>, AppError> {
    if request.value.is_empty() {
        return Err(AppError::bad_request(format!(
            "secret {name}: value must not be empty"
        )));
    }
    let stored = secret_store(&state)?
        .set(&name, &request.value, &principal.name)
        .await?;
    tracing::info!(secret = %name, version = stored.version, "secret stored");
    Ok(Json(stored))
}

async fn delete_secret(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<impl IntoResponse, AppError> {
    secret_store(&state)?.delete(&name).await?;
    tracing::info!(secret = %name, "secret deleted");
    Ok(StatusCode::NO_CONTENT)
}
