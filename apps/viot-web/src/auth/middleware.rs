//! The two auth layers: `authenticate` (every request) and `authorize` (per route, with the
//! route's [`Access`]), which also checks CSRF and writes the audit record of a change.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::oidc::sessions::RefreshOutcome;
use super::secrets::{digest, same_secret};
use super::{Access, Credential, Principal, UserRole};
use crate::error::AppError;
use crate::state::AppState;

/// How stale a session's last-seen time may get before a request refreshes it (and its
/// idle expiry).
const SESSION_TOUCH_INTERVAL_MS: i64 = 60_000;

pub const SESSION_COOKIE: &str = "dv_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// What a handler adds to the audit record of its change (a response extension), e.g. the id
/// of what a `POST` created; without it the record's detail is `{}`.
#[derive(Debug, Clone)]
pub struct AuditDetail(pub serde_json::Value);

/// Turns an API token or a session cookie into a [`Principal`] in the request extensions.
/// A presented but unknown token is refused at once; a stale cookie just means anonymous.
pub async fn authenticate(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let now_ms = chrono::Utc::now().timestamp_millis();
    if let Some(token) = presented_token(&request) {
        let found = state
            .store
            .api_tokens()
            .find_active_by_hash(&digest(&token), now_ms)
            .await;
        let api_token = match found {
            Ok(Some(api_token)) => api_token,
            Ok(None) => {
                return AppError::unauthorized("the API token is unknown, revoked or expired")
                    .into_response();
            }
            Err(error) => return AppError::from(error).into_response(),
        };
        request.extensions_mut().insert(Principal::for_token(
            &api_token.name,
            api_token.id,
            api_token.scopes,
        ));
        return next.run(request).await;
    }
    if let Some(session_id) = cookie_value(request.headers(), SESSION_COOKIE) {
        let session_hash = digest(&session_id);
        match state
            .store
            .sessions()
            .find_valid(&session_hash, now_ms)
            .await
        {
            Ok(Some(session)) => {
                let mut role = UserRole::parse(&session.user.role);
                if state.config.current().auth.oidc.enabled {
                    match super::oidc::sessions::refresh_if_due(&state, &session_hash).await {
                        RefreshOutcome::Ended => return next.run(request).await,
                        RefreshOutcome::Refreshed(Some(refreshed_role)) => {
                            role = Some(refreshed_role)
                        }
                        RefreshOutcome::Refreshed(None) | RefreshOutcome::Unchanged => {}
                    }
                }
                // At most one write per session and minute: a page view should not wait for a
                // database commit (on SQLite an fsync) just to slide the idle expiry.
                if now_ms - session.session.last_seen_at_ms >= SESSION_TOUCH_INTERVAL_MS {
                    let idle_ms = state.config.current().auth.session_idle_minutes as i64 * 60_000;
                    let _ = state
                        .store
                        .sessions()
                        .touch(&session_hash, now_ms, now_ms + idle_ms)
                        .await;
                }
                let principal = Principal {
                    name: session.user.username,
                    user_id: Some(session.user.id),
                    role,
                    credential: Credential::Session {
                        session_hash,
                        csrf_token: session.session.csrf_token,
                    },
                };
                request.extensions_mut().insert(principal);
            }
            Ok(None) => {}
            Err(error) => return AppError::from(error).into_response(),
        }
    }
    next.run(request).await
}

/// Enforces one route's access level, CSRF on cookie-authenticated changes, and audits changes.
pub async fn authorize(
    access: Access,
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if access == Access::Public {
        return next.run(request).await;
    }
    let Some(principal) = request.extensions().get::<Principal>().cloned() else {
        return AppError::unauthorized("sign in, or send an API token in the Authorization header")
            .into_response();
    };
    if !principal.may(access) {
        return AppError::forbidden(format!(
            "{} may not call {}",
            principal.name,
            describe(&request)
        ))
        .into_response();
    }
    let changes_state = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if changes_state && let Credential::Session { csrf_token, .. } = &principal.credential {
        let presented = request
            .headers()
            .get(CSRF_HEADER)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("");
        if !same_secret(presented, csrf_token) {
            return AppError::forbidden(
                "missing or wrong CSRF token (send the x-csrf-token header)",
            )
            .into_response();
        }
    }
    if !changes_state || access == Access::WriteMetrics {
        return next.run(request).await;
    }
    let action = describe(&request);
    let target = request.uri().path().to_string();
    let source_ip = source_address(&request);
    let response = next.run(request).await;
    let entry = store::NewAuditEntry {
        at_ms: chrono::Utc::now().timestamp_millis(),
        actor: principal.name,
        action,
        target,
        source_ip,
        result: response.status().as_u16().to_string(),
        detail: response
            .extensions()
            .get::<AuditDetail>()
            .map_or_else(|| serde_json::json!({}), |detail| detail.0.clone()),
    };
    if let Err(error) = state.store.audit_log().append(&entry).await {
        tracing::error!(%error, "cannot write the audit record of a change");
    }
    response
}

/// `METHOD /matched/route`.
fn describe(request: &Request) -> String {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str())
        .unwrap_or(request.uri().path());
    format!("{} {route}", request.method())
}

pub fn source_address(request: &Request) -> Option<String> {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip().to_string())
}

/// The API token a client presents, in the ways Telegraf's outputs send credentials:
/// `Authorization: Bearer <token>` or `Token <token>` (InfluxDB 2.x), HTTP Basic with the
/// token as password, or `?p=<token>` (InfluxDB 1.x `/write`).
fn presented_token(request: &Request) -> Option<String> {
    if let Some(token) = authorization_token(request.headers()) {
        return Some(token);
    }
    let query = request.uri().query()?;
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(name, _)| *name == "p")
        .map(|(_, value)| value.to_string())
        .filter(|value| !value.is_empty())
}

fn authorization_token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, credentials) = value.split_once(' ')?;
    let credentials = credentials.trim();
    if scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token") {
        return (!credentials.is_empty()).then(|| credentials.to_string());
    }
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    use base64::Engine;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(credentials)
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (_, password) = text.split_once(':')?;
    (!password.is_empty()).then(|| password.to_string())
}

pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_string())
}
