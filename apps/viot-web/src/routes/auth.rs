//! Login, logout and "who am I" for console users (local accounts, argon2 passwords).

use std::time::{Duration, Instant};

use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::json;

use crate::auth::middleware::{SESSION_COOKIE, source_address};
use crate::auth::secrets::{digest, hash_password, random_hex, verify_password};
use crate::auth::{Access, Credential, Principal, UserRole};
use crate::error::AppError;
use crate::routes::book::RouteBook;
use crate::state::AppState;

pub fn add_routes(book: RouteBook) -> RouteBook {
    book.add(Method::POST, "/api/auth/login", Access::Public, login)
        .add(
            Method::POST,
            "/api/auth/logout",
            Access::Role(UserRole::Viewer),
            logout,
        )
        .add(
            Method::GET,
            "/api/auth/me",
            Access::Role(UserRole::Viewer),
            who_am_i,
        )
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

async fn login(State(state): State<AppState>, request: Request) -> Result<Response, AppError> {
    refuse_cross_site(request.headers())?;
    let behind_https = reached_over_https(request.headers());
    let source_ip = source_address(&request);
    let user_agent = request
        .headers()
        .get(header::USER_AGENT)
        .and_then(|value| value.to_str().ok())
        .map(String::from);
    let credentials = read_login_body(request).await?;
    let lockout_keys = vec![
        format!("user:{}", credentials.username),
        format!("ip:{}", source_ip.as_deref().unwrap_or("-")),
    ];
    if let Some(remaining) = state
        .login_lockout
        .locked_for(&lockout_keys, Instant::now())
    {
        audit_login(&state, &credentials.username, source_ip.clone(), "locked").await;
        return Ok(locked_out(remaining));
    }
    let user = state
        .store
        .users()
        .get_by_username(&credentials.username)
        .await?;
    let verified = match &user {
        Some(user) => user.active && verify_password(&credentials.password, &user.password_hash),
        None => {
            // Same work for unknown names, so timing does not reveal which names exist.
            let _ = hash_password(&credentials.password);
            false
        }
    };
    let Some(user) = user.filter(|_| verified) else {
        state
            .login_lockout
            .record_failure(&lockout_keys, Instant::now());
        audit_login(&state, &credentials.username, source_ip, "denied").await;
        return Err(AppError::unauthorized("wrong username or password"));
    };
    state.login_lockout.record_success(&lockout_keys);

    let session_id = random_hex(32);
    let csrf_token = random_hex(16);
    let auth_config = state.config.current().auth.clone();
    let idle = Duration::from_secs(auth_config.session_idle_minutes * 60);
    let now_ms = chrono::Utc::now().timestamp_millis();
    let new_session = store::NewSession {
        session_hash: digest(&session_id),
        user_id: user.id,
        csrf_token: csrf_token.clone(),
        expires_at_ms: now_ms + idle.as_millis() as i64,
        source_ip: source_ip.clone(),
        user_agent,
    };
    state.store.sessions().create(&new_session).await?;
    audit_login(&state, &user.username, source_ip, "ok").await;

    let secure = auth_config.cookie_secure || behind_https;
    let cookie = session_cookie(&session_id, idle.as_secs(), secure);
    let body = json!({"username": user.username, "role": user.role, "csrf_token": csrf_token});
    let mut response = (StatusCode::OK, Json(body)).into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
}

/// Ends the caller's session. For a session opened through an OpenID provider the answer is
/// `200 {"end_session_url": ...}`: the browser goes there to end the provider's session too
/// (RP-initiated logout with `id_token_hint` and `post_logout_redirect_uri`); else `204`.
async fn logout(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let mut end_session_url = None;
    if let Credential::Session { session_hash, .. } = &principal.credential {
        let oidc_config = &state.config.current().auth.oidc;
        let post_logout_redirect_uri = format!(
            "{}/login",
            crate::routes::oidc::public_base_url(oidc_config, &headers)
        );
        end_session_url = crate::auth::oidc::sessions::end_session_url(
            &state,
            session_hash,
            &post_logout_redirect_uri,
        )
        .await;
        state.store.sessions().delete(session_hash).await?;
    }
    let secure = state.config.current().auth.cookie_secure || reached_over_https(&headers);
    let mut response = match end_session_url {
        Some(url) => (StatusCode::OK, Json(json!({"end_session_url": url}))).into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    };
    response
        .headers_mut()
        .insert(header::SET_COOKIE, session_cookie("", 0, secure));
    Ok(response)
}

async fn who_am_i(Extension(principal): Extension<Principal>) -> Json<serde_json::Value> {
    let csrf_token = match &principal.credential {
        Credential::Session { csrf_token, .. } => Some(csrf_token.clone()),
        Credential::Token { .. } => None,
    };
    Json(json!({
        "name": principal.name,
        "role": principal.role.map(UserRole::as_str),
        "csrf_token": csrf_token,
    }))
}

/// JSON or an HTML form post.
async fn read_login_body(request: Request) -> Result<LoginRequest, AppError> {
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
    // A body over the limit keeps its 413; anything else unreadable is a 400.
    let refused = |status: StatusCode, message: String| {
        let message = format!("login body: {message}");
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            return AppError::new(status, "payload_too_large", message);
        }
        AppError::bad_request(message)
    };
    if is_form {
        let axum::Form(body) = axum::Form::<LoginRequest>::from_request(request, &())
            .await
            .map_err(|rejection| refused(rejection.status(), rejection.body_text()))?;
        return Ok(body);
    }
    let Json(body) = Json::<LoginRequest>::from_request(request, &())
        .await
        .map_err(|rejection| refused(rejection.status(), rejection.body_text()))?;
    Ok(body)
}

/// Login CSRF: a browser always sends Origin on a cross-site POST; it must be this host.
fn refuse_cross_site(headers: &HeaderMap) -> Result<(), AppError> {
    let Some(origin) = headers
        .get(header::ORIGIN)
        .and_then(|value| value.to_str().ok())
    else {
        return Ok(());
    };
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    let origin_host = origin
        .split_once("://")
        .map(|(_, rest)| rest)
        .unwrap_or(origin);
    if origin_host == host {
        return Ok(());
    }
    Err(AppError::forbidden(format!(
        "login from another site ({origin}) is refused"
    )))
}

/// Whether a TLS-terminating proxy says the browser used https (`X-Forwarded-Proto: https`
/// or `Forwarded: proto=https`). Trusting it is safe: a forged header can only make the
/// caller's own cookie stricter.
pub fn reached_over_https(headers: &HeaderMap) -> bool {
    let header_text = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase()
    };
    let forwarded_proto = header_text("x-forwarded-proto");
    if forwarded_proto.split(',').next().map(str::trim) == Some("https") {
        return true;
    }
    header_text("forwarded")
        .split([';', ','])
        .any(|part| part.trim() == "proto=https")
}

pub fn session_cookie(value: &str, max_age_s: u64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let cookie = format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_s}{secure}"
    );
    HeaderValue::from_str(&cookie).expect("cookie text is ASCII")
}

fn locked_out(remaining: Duration) -> Response {
    let seconds = remaining.as_secs().max(1);
    let error = AppError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "locked_out",
        format!("too many failed logins; try again in {seconds} s"),
    );
    let mut response = error.into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

async fn audit_login(state: &AppState, username: &str, source_ip: Option<String>, result: &str) {
    let entry = store::NewAuditEntry {
        at_ms: chrono::Utc::now().timestamp_millis(),
        actor: username.to_string(),
        action: "login".into(),
        target: format!("user:{username}"),
        source_ip,
        result: result.into(),
        detail: json!({}),
    };
    if let Err(error) = state.store.audit_log().append(&entry).await {
        tracing::error!(%error, "cannot write the audit record of a login");
    }
}
