//! `GET /auth/oidc/login` and `GET /auth/oidc/callback`: sign-in through an OpenID provider
//! (Keycloak) with the authorization code flow, PKCE (S256), state and nonce.
//!
//! Login remembers the state server-side (single use, `login_timeout_s`) and in a short-lived
//! HttpOnly cookie scoped to `/auth/oidc`, so a callback only completes in the browser that
//! started it. The callback checks the state, exchanges the code, validates the ID token and
//! opens the same console session a local login does. Every callback is audited (`login`,
//! with the result and, when refused, the reason). A refused browser goes back to
//! `/login?oidc_error=<reason>`; API clients get the error as JSON.

use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use crate::auth::Access;
use crate::auth::middleware::{cookie_value, source_address};
use crate::auth::oidc::pending::PendingLogin;
use crate::auth::oidc::sessions::{SessionOrigin, client_secret, open_session};
use crate::auth::oidc::{OidcConfig, OidcError, PkcePair};
use crate::auth::secrets::{random_hex, same_secret};
use crate::error::AppError;
use crate::routes::auth::reached_over_https;
use crate::routes::book::RouteBook;
use crate::state::AppState;

/// The cookie that ties a callback to the browser that started the sign-in.
pub const LOGIN_STATE_COOKIE: &str = "dv_oidc_state";
pub const CALLBACK_PATH: &str = "/auth/oidc/callback";

pub fn add_routes(book: RouteBook) -> RouteBook {
    book.add(Method::GET, "/auth/oidc/login", Access::Public, login)
        .add(Method::GET, CALLBACK_PATH, Access::Public, callback)
}

#[derive(Debug, Deserialize)]
struct LoginQuery {
    #[serde(default)]
    return_to: Option<String>,
}

/// How browsers reach Detectviz: `[auth.oidc] public_url`, else the request's scheme and Host.
pub fn public_base_url(config: &OidcConfig, headers: &HeaderMap) -> String {
    if !config.public_url.is_empty() {
        return config.public_url.trim_end_matches('/').to_string();
    }
    let scheme = if reached_over_https(headers) {
        "https"
    } else {
        "http"
    };
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("localhost");
    format!("{scheme}://{host}")
}

/// Only a local path (`/pages/...`), never another site.
fn safe_return_path(requested: Option<String>) -> String {
    requested
        .filter(|path| path.starts_with('/') && !path.starts_with("//") && !path.contains('\\'))
        .unwrap_or_else(|| "/pages/home".to_string())
}

async fn login(
    State(state): State<AppState>,
    Query(query): Query<LoginQuery>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let config = state.config.current();
    let oidc_config = &config.auth.oidc;
    let metadata = state.oidc.metadata(oidc_config).await?;
    let redirect_uri = format!("{}{CALLBACK_PATH}", public_base_url(oidc_config, &headers));
    let login_state = random_hex(32);
    let nonce = random_hex(32);
    let pkce = PkcePair::generate();
    let authorization_url = state.oidc.authorization_url(
        oidc_config,
        &metadata,
        &redirect_uri,
        &login_state,
        &nonce,
        &pkce.challenge,
    )?;
    let timeout = std::time::Duration::from_secs(oidc_config.login_timeout_s);
    state.oidc.pending.insert(
        login_state.clone(),
        PendingLogin {
            nonce,
            pkce_verifier: pkce.verifier,
            redirect_uri,
            return_to: safe_return_path(query.return_to),
        },
        std::time::Instant::now(),
        timeout,
    );
    let secure = config.auth.cookie_secure || reached_over_https(&headers);
    let mut response = see_other(&authorization_url)?;
    response.headers_mut().append(
        header::SET_COOKIE,
        state_cookie(&login_state, timeout.as_secs(), secure),
    );
    Ok(response)
}

#[derive(Debug, Deserialize)]
struct CallbackQuery {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    iss: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
}

async fn callback(
    State(state): State<AppState>,
    Query(query): Query<CallbackQuery>,
    request: Request,
) -> Response {
    let config = state.config.current();
    let headers = request.headers().clone();
    let secure = config.auth.cookie_secure || reached_over_https(&headers);
    let source_ip = source_address(&request);
    let origin = SessionOrigin {
        source_ip: source_ip.clone(),
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|value| value.to_str().ok())
            .map(String::from),
    };
    let outcome = finish_sign_in(&state, &query, &headers, origin).await;
    let issuer = &config.auth.oidc.issuer_url;
    let mut response = match outcome {
        Ok((opened, return_to)) => {
            let detail = json!({"method": "oidc", "issuer": issuer, "role": opened.role.as_str()});
            audit(&state, &opened.username, source_ip, "ok", detail).await;
            match see_other(&return_to) {
                Ok(mut response) => {
                    let cookie = crate::routes::auth::session_cookie(
                        &opened.session_id,
                        opened.idle_s,
                        secure,
                    );
                    response.headers_mut().append(header::SET_COOKIE, cookie);
                    response
                }
                Err(error) => error.into_response(),
            }
        }
        Err(error) => {
            let reason = error.reason_code();
            let detail = json!({"method": "oidc", "issuer": issuer,
                "reason": reason, "message": error.to_string()});
            audit(&state, "oidc", source_ip, "denied", detail).await;
            if wants_html(&headers) {
                // A browser goes back to the sign-in page, which names the reason.
                see_other(&format!("/login?oidc_error={reason}"))
                    .unwrap_or_else(|error| error.into_response())
            } else {
                AppError::from(error).into_response()
            }
        }
    };
    response
        .headers_mut()
        .append(header::SET_COOKIE, state_cookie("", 0, secure));
    response
}

async fn finish_sign_in(
    state: &AppState,
    query: &CallbackQuery,
    headers: &HeaderMap,
    origin: SessionOrigin,
) -> Result<(crate::auth::oidc::sessions::OpenedSession, String), OidcError> {
    let config = state.config.current();
    let oidc_config = &config.auth.oidc;
    if !oidc_config.enabled {
        return Err(OidcError::NotConfigured);
    }
    if let Some(error) = &query.error {
        let description = query.error_description.as_deref().unwrap_or("");
        return Err(OidcError::ProviderRefused(format!(
            "{error}: {description}"
        )));
    }
    let login_state = query
        .state
        .as_deref()
        .ok_or(OidcError::MissingParameter("state"))?;
    let browser_state = cookie_value(headers, LOGIN_STATE_COOKIE).unwrap_or_default();
    if !same_secret(&browser_state, login_state) {
        return Err(OidcError::StateMismatch);
    }
    let pending = state
        .oidc
        .pending
        .take(login_state, std::time::Instant::now())
        .ok_or(OidcError::UnknownState)?;
    let metadata = state.oidc.metadata(oidc_config).await?;
    if let Some(issuer) = &query.iss
        && issuer != &metadata.issuer
    {
        return Err(OidcError::CallbackIssuer(issuer.clone()));
    }
    let code = query
        .code
        .as_deref()
        .ok_or(OidcError::MissingParameter("code"))?;
    let secret = client_secret(state).await?;
    let tokens = state
        .oidc
        .exchange_code(
            oidc_config,
            &metadata,
            code,
            &pending.pkce_verifier,
            &pending.redirect_uri,
            secret.as_ref().map(|secret| secret.expose()),
        )
        .await?;
    let id_token = tokens
        .id_token
        .clone()
        .ok_or_else(|| OidcError::InvalidIdToken("the token response has none".into()))?;
    let claims = state
        .oidc
        .validate_id_token(oidc_config, &metadata, &id_token, Some(&pending.nonce))
        .await?;
    let opened = open_session(state, &metadata.issuer, &claims, &tokens, &id_token, origin).await?;
    Ok((opened, pending.return_to))
}

/// A browser navigation (Accept names HTML), not an API call.
fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

fn see_other(location: &str) -> Result<Response, AppError> {
    let location = HeaderValue::from_str(location)
        .map_err(|_| AppError::internal("a redirect location is not a valid header"))?;
    let mut response = StatusCode::SEE_OTHER.into_response();
    response.headers_mut().insert(header::LOCATION, location);
    Ok(response)
}

fn state_cookie(value: &str, max_age_s: u64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let cookie = format!(
        "{LOGIN_STATE_COOKIE}={value}; Path=/auth/oidc; HttpOnly; SameSite=Lax; Max-Age={max_age_s}{secure}"
    );
    HeaderValue::from_str(&cookie).expect("cookie text is ASCII")
}

async fn audit(
    state: &AppState,
    actor: &str,
    source_ip: Option<String>,
    result: &str,
    detail: serde_json::Value,
) {
    let entry = store::NewAuditEntry {
        at_ms: chrono::Utc::now().timestamp_millis(),
        actor: actor.to_string(),
        action: "login".into(),
        target: format!("user:{actor}"),
        source_ip,
        result: result.into(),
        detail,
    };
    if let Err(error) = state.store.audit_log().append(&entry).await {
        tracing::error!(%error, "cannot write the audit record of an OIDC login");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_returned_to() {
        assert_eq!(
            safe_return_path(Some("/pages/alerts".into())),
            "/pages/alerts"
        );
        for outside in [
            "https://evil.example/",
            "//evil.example/",
            "/\\evil",
            "pages",
        ] {
            assert_eq!(
                safe_return_path(Some(outside.into())),
                "/pages/home",
                "{outside}"
            );
        }
        assert_eq!(safe_return_path(None), "/pages/home");
    }

    #[test]
    fn the_public_url_wins_over_the_host_header() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static("10.0.0.5:8080"));
        headers.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        let mut config = OidcConfig::default();
        assert_eq!(public_base_url(&config, &headers), "https://10.0.0.5:8080");
        config.public_url = "https://dv.example/".into();
        assert_eq!(public_base_url(&config, &headers), "https://dv.example");
    }
}
