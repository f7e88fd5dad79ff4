//! API tokens (admin): create (the secret is shown once), list, revoke.

use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use axum::response::IntoResponse;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};

use crate::auth::secrets::{digest, new_api_token};
use crate::auth::{ALL_SCOPES, Access, Principal, UserRole};
use crate::error::AppError;
use crate::routes::book::RouteBook;
use crate::state::AppState;

pub fn add_routes(book: RouteBook) -> RouteBook {
    let admin = Access::Role(UserRole::Admin);
    book.add(Method::GET, "/api/tokens", admin, list_tokens)
        .add(Method::POST, "/api/tokens", admin, create_token)
        .add(Method::DELETE, "/api/tokens/{id}", admin, revoke_token)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateTokenRequest {
    pub name: String,
    pub scopes: Vec<String>,
    #[serde(default)]
    pub expires_in_days: Option<u32>,
}

#[derive(Debug, Serialize)]
pub struct TokenView {
    pub id: i64,
    pub name: String,
    pub token_prefix: String,
    pub scopes: Vec<String>,
    pub created_by: String,
    pub created_at_ms: i64,
    pub last_used_at_ms: Option<i64>,
    pub expires_at_ms: Option<i64>,
    pub revoked_at_ms: Option<i64>,
}

impl From<store::ApiToken> for TokenView {
    fn from(token: store::ApiToken) -> TokenView {
        TokenView {
            id: token.id,
            name: token.name,
            token_prefix: token.token_prefix,
            scopes: token.scopes,
            created_by: token.created_by,
            created_at_ms: token.created_at_ms,
            last_used_at_ms: token.last_used_at_ms,
            expires_at_ms: token.expires_at_ms,
            revoked_at_ms: token.revoked_at_ms,
        }
    }
}

async fn list_tokens(State(state): State<AppState>) -> Result<Json<Vec<TokenView>>, AppError> {
    let tokens = state.store.api_tokens().list().await?;
    Ok(Json(tokens.into_iter().map(TokenView::from).collect()))
}

async fn create_token(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Json(request): Json<CreateTokenRequest>,
) -> Result<impl IntoResponse, AppError> {
    let (token, stored) = issue_token(&state.store, &request, &principal.name).await?;
    let body = serde_json::json!({"token": token, "details": TokenView::from(stored),
        "note": "the token is shown only now; store it in Telegraf's or the script's secret store"});
    Ok((StatusCode::CREATED, Json(body)))
}

/// Creates a token; returns the secret (shown once) and what was stored.
pub async fn issue_token(
    store: &store::Store,
    request: &CreateTokenRequest,
    created_by: &str,
) -> Result<(String, store::ApiToken), AppError> {
    if request.name.trim().is_empty() {
        return Err(AppError::bad_request("name: must not be empty"));
    }
    if request.scopes.is_empty() {
        return Err(AppError::bad_request(format!(
            "scopes: give at least one of {}",
            ALL_SCOPES.join(", ")
        )));
    }
    if let Some(unknown) = request
        .scopes
        .iter()
        .find(|scope| !ALL_SCOPES.contains(&scope.as_str()))
    {
        return Err(AppError::bad_request(format!(
            "scopes: unknown scope {unknown:?}; use {}",
            ALL_SCOPES.join(", ")
        )));
    }
    let token = new_api_token();
    let expires_at_ms = request
        .expires_in_days
        .map(|days| chrono::Utc::now().timestamp_millis() + i64::from(days) * 86_400_000);
    let new_token = store::NewApiToken {
        name: request.name.trim().to_string(),
        token_hash: digest(&token),
        token_prefix: token[..8].to_string(),
        scopes: request.scopes.clone(),
        created_by: created_by.to_string(),
        expires_at_ms,
    };
    let stored = store.api_tokens().create(&new_token).await?;
    Ok((token, stored))
}

async fn revoke_token(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    state
        .store
        .api_tokens()
        .revoke(id, chrono::Utc::now().timestamp_millis())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
