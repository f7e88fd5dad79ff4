//! Local users (admin): list, create, change role, activity or password, delete.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};

use crate::auth::secrets::hash_password;
use crate::auth::{Access, UserRole};
use crate::error::AppError;
use crate::routes::book::RouteBook;
use crate::state::AppState;

/// Shortest password accepted for a local account.
pub const MINIMUM_PASSWORD_LENGTH: usize = 10;

pub fn add_routes(book: RouteBook) -> RouteBook {
    let admin = Access::Role(UserRole::Admin);
    book.add(Method::GET, "/api/users", admin, list_users)
        .add(Method::POST, "/api/users", admin, create_user)
        .add(Method::PATCH, "/api/users/{id}", admin, update_user)
        .add(Method::DELETE, "/api/users/{id}", admin, delete_user)
}

#[derive(Debug, Serialize)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub active: bool,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    /// Signs in through the OpenID provider (no local password).
    pub oidc: bool,
}

impl From<store::User> for UserView {
    fn from(user: store::User) -> UserView {
        UserView {
            id: user.id,
            username: user.username,
            display_name: user.display_name,
            role: user.role,
            active: user.active,
            created_at_ms: user.created_at_ms,
            updated_at_ms: user.updated_at_ms,
            oidc: false,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    pub username: String,
    #[serde(default)]
    pub display_name: Option<String>,
    pub password: String,
    pub role: UserRole,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    #[serde(default)]
    pub role: Option<UserRole>,
    #[serde(default)]
    pub active: Option<bool>,
    #[serde(default)]
    pub password: Option<String>,
}

async fn list_users(State(state): State<AppState>) -> Result<Json<Vec<UserView>>, AppError> {
    let users = state.store.users().list().await?;
    let linked = state.store.oidc().linked_user_ids().await?;
    let views = users.into_iter().map(|user| {
        let oidc = linked.contains(&user.id);
        UserView {
            oidc,
            ..UserView::from(user)
        }
    });
    Ok(Json(views.collect()))
}

async fn create_user(
    State(state): State<AppState>,
    Json(request): Json<CreateUserRequest>,
) -> Result<impl IntoResponse, AppError> {
    let user = create_local_user(&state.store, &request).await?;
    Ok((StatusCode::CREATED, Json(UserView::from(user))))
}

/// Validates and stores a local user (also used by `detectviz user add`).
pub async fn create_local_user(
    store: &store::Store,
    request: &CreateUserRequest,
) -> Result<store::User, AppError> {
    let username = request.username.trim();
    if username.is_empty() || username.len() > 190 || username.chars().any(char::is_whitespace) {
        return Err(AppError::bad_request(
            "username: 1 to 190 characters without spaces",
        ));
    }
    check_password(&request.password)?;
    let password_hash =
        hash_password(&request.password).map_err(|error| AppError::internal(error.to_string()))?;
    let new_user = store::NewUser {
        username: username.to_string(),
        display_name: request
            .display_name
            .clone()
            .unwrap_or_else(|| username.to_string()),
        password_hash,
        role: request.role.as_str().to_string(),
        active: true,
    };
    Ok(store.users().create(&new_user).await?)
}

pub fn check_password(password: &str) -> Result<(), AppError> {
    if password.chars().count() < MINIMUM_PASSWORD_LENGTH {
        return Err(AppError::bad_request(format!(
            "password: at least {MINIMUM_PASSWORD_LENGTH} characters"
        )));
    }
    Ok(())
}

async fn update_user(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Json(request): Json<UpdateUserRequest>,
) -> Result<Json<UserView>, AppError> {
    let users = state.store.users();
    if request.password.is_some() && state.store.oidc().is_oidc_user(id).await? {
        return Err(AppError::new(
            StatusCode::CONFLICT,
            "oidc_user",
            format!("user {id} signs in through the OpenID provider and has no local password"),
        ));
    }
    if let Some(role) = request.role {
        users.update_role(id, role.as_str()).await?;
    }
    if let Some(active) = request.active {
        users.set_active(id, active).await?;
        if !active {
            state.store.sessions().delete_for_user(id).await?;
        }
    }
    if let Some(password) = &request.password {
        check_password(password)?;
        let password_hash =
            hash_password(password).map_err(|error| AppError::internal(error.to_string()))?;
        users.update_password_hash(id, &password_hash).await?;
        state.store.sessions().delete_for_user(id).await?;
    }
    let user = users
        .get_by_id(id)
        .await?
        .ok_or_else(|| AppError::not_found(format!("user {id}")))?;
    Ok(Json(UserView::from(user)))
}

async fn delete_user(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    state.store.users().delete(id).await?;
    Ok(StatusCode::NO_CONTENT)
}
