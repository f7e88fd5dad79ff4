//! What a validated sign-in becomes locally, and how an OIDC session is kept alive.
//!
//! A provider user becomes a Detectviz user linked by issuer and subject (`oidc_identities`:
//! the user is marked as OIDC and has no usable password), named by `preferred_username`,
//! with the role mapped from the token's claims at every sign-in and refresh. The console
//! session is the same as a local login's (cookie, CSRF token, sliding expiry); beside it,
//! `oidc_sessions` keeps the ID token (for single logout) and the refresh token sealed with
//! the secret key. When a session is used close to or after its access token's expiry, the
//! token is refreshed; a provider that refuses (its session ended) ends the local session.

use serde_json::Value;

use super::client::TokenResponse;
use super::{OidcConfig, OidcError, role_from_claims};
use crate::auth::UserRole;
use crate::auth::secrets::{digest, random_hex};
use crate::secret_store::{self, SecretKeys, SecretStore, SecretValue};
use crate::state::AppState;

/// The password hash of OIDC users: not a PHC string, so no password ever verifies.
pub const NO_PASSWORD: &str = "!oidc";

/// A session opened by a sign-in.
pub struct OpenedSession {
    /// The cookie value (secret).
    pub session_id: String,
    pub csrf_token: String,
    pub username: String,
    pub role: UserRole,
    pub idle_s: u64,
}

/// Where the request came from, for the session row.
pub struct SessionOrigin {
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
}

/// The user's name from the claims: `preferred_username`, else the subject.
pub fn username_from_claims(claims: &Value) -> Option<String> {
    let name = claims
        .get("preferred_username")
        .and_then(Value::as_str)
        .filter(|name| !name.trim().is_empty())
        .or_else(|| claims.get("sub").and_then(Value::as_str))?;
    let name = name.trim();
    (!name.is_empty() && name.chars().count() <= 150).then(|| name.to_string())
}

/// The client secret from `[auth.oidc] client_secret` (`secret:<name>` resolved from the
/// encrypted store); `None` for a public client.
pub async fn client_secret(state: &AppState) -> Result<Option<SecretValue>, OidcError> {
    let config = state.config.current();
    let text = &config.auth.oidc.client_secret.0;
    if text.is_empty() {
        return Ok(None);
    }
    let keys = SecretKeys::load(&config.secrets)
        .map_err(|error| OidcError::ClientSecret(error.to_string()))?;
    SecretStore::new(state.store.clone(), keys)
        .resolve(text)
        .await
        .map(Some)
        .map_err(|error| OidcError::ClientSecret(error.to_string()))
}

/// Finds or creates the user for validated `claims` and opens a console session with the
/// tokens stored beside it.
pub async fn open_session(
    state: &AppState,
    issuer: &str,
    claims: &Value,
    tokens: &TokenResponse,
    id_token: &str,
    origin: SessionOrigin,
) -> Result<OpenedSession, OidcError> {
    let config = state.config.current();
    let oidc_config = &config.auth.oidc;
    let role = role_from_claims(claims, oidc_config).ok_or(OidcError::NoMappedRole)?;
    let subject = claims
        .get("sub")
        .and_then(Value::as_str)
        .ok_or_else(|| OidcError::InvalidIdToken("it lacks the sub claim".into()))?;
    let username = username_from_claims(claims)
        .ok_or_else(|| OidcError::InvalidIdToken("no usable preferred_username".into()))?;
    let keys = SecretKeys::load(&config.secrets).map_err(|_| OidcError::NoSecretKey)?;
    let key = keys.current.clone().ok_or(OidcError::NoSecretKey)?;
    let user = find_or_create_user(state, issuer, subject, &username, claims, role).await?;

    let session_id = random_hex(32);
    let csrf_token = random_hex(16);
    let session_hash = digest(&session_id);
    let idle_s = config.auth.session_idle_minutes * 60;
    let now_ms = chrono::Utc::now().timestamp_millis();
    state
        .store
        .sessions()
        .create(&store::NewSession {
            session_hash: session_hash.clone(),
            user_id: user.id,
            csrf_token: csrf_token.clone(),
            expires_at_ms: now_ms + idle_s as i64 * 1000,
            source_ip: origin.source_ip,
            user_agent: origin.user_agent,
        })
        .await?;
    let refresh_token = seal_refresh_token(&key, &session_hash, tokens.refresh_token.as_deref());
    state
        .store
        .oidc()
        .create_session(&store::OidcSession {
            session_hash,
            user_id: user.id,
            id_token: id_token.to_string(),
            refresh_token,
            access_expires_at_ms: access_expires_at_ms(now_ms, tokens),
            created_at_ms: now_ms,
            refreshed_at_ms: now_ms,
        })
        .await?;
    Ok(OpenedSession {
        session_id,
        csrf_token,
        username: user.username,
        role,
        idle_s,
    })
}

async fn find_or_create_user(
    state: &AppState,
    issuer: &str,
    subject: &str,
    username: &str,
    claims: &Value,
    role: UserRole,
) -> Result<store::User, OidcError> {
    let users = state.store.users();
    if let Some(user_id) = state.store.oidc().user_for_subject(issuer, subject).await?
        && let Some(user) = users.get_by_id(user_id).await?
    {
        if !user.active {
            return Err(OidcError::Deactivated(user.username));
        }
        if user.role != role.as_str() {
            users.update_role(user.id, role.as_str()).await?;
        }
        state.store.oidc().touch_identity(user.id).await?;
        return Ok(store::User {
            role: role.as_str().to_string(),
            ..user
        });
    }
    if users.get_by_username(username).await?.is_some() {
        return Err(OidcError::LocalAccountExists(username.to_string()));
    }
    let display_name = claims
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or(username)
        .to_string();
    let user = users
        .create(&store::NewUser {
            username: username.to_string(),
            display_name,
            password_hash: NO_PASSWORD.to_string(),
            role: role.as_str().to_string(),
            active: true,
        })
        .await?;
    state.store.oidc().link(user.id, issuer, subject).await?;
    Ok(user)
}

/// The associated data that binds a sealed refresh token to its session.
pub fn refresh_context(session_hash: &str) -> String {
    format!("oidc-refresh-token:{session_hash}")
}

fn seal_refresh_token(
    key: &secret_store::SecretKey,
    session_hash: &str,
    refresh_token: Option<&str>,
) -> store::SealedRefreshToken {
    let Some(refresh_token) = refresh_token else {
        return store::SealedRefreshToken::default();
    };
    let (ciphertext, nonce) =
        secret_store::seal_detached(key, &refresh_context(session_hash), refresh_token);
    store::SealedRefreshToken {
        ciphertext,
        nonce,
        key_id: key.key_id().to_string(),
    }
}

/// When the access token expires; a provider that does not say gets five minutes.
fn access_expires_at_ms(now_ms: i64, tokens: &TokenResponse) -> i64 {
    now_ms + tokens.expires_in.unwrap_or(300) as i64 * 1000
}

/// What [`refresh_if_due`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshOutcome {
    /// Not an OIDC session, or its access token is still fresh (or the provider could not be
    /// reached: the session goes on and the next request tries again).
    Unchanged,
    /// Refreshed; the role mapped from the new ID token, when it carried one.
    Refreshed(Option<UserRole>),
    /// The provider refused the refresh (or there was nothing to refresh with): the local
    /// session was deleted.
    Ended,
}

/// Refreshes the tokens of session `session_hash` when its access token expires within
/// `refresh_before_expiry_s` (or has expired).
pub async fn refresh_if_due(state: &AppState, session_hash: &str) -> RefreshOutcome {
    let config = state.config.current();
    let oidc_config = &config.auth.oidc;
    let due = |session: &store::OidcSession| {
        let margin_ms = oidc_config.refresh_before_expiry_s as i64 * 1000;
        chrono::Utc::now().timestamp_millis() >= session.access_expires_at_ms - margin_ms
    };
    match state.store.oidc().find_session(session_hash).await {
        Ok(Some(session)) if due(&session) => {}
        _ => return RefreshOutcome::Unchanged,
    }
    let _one_at_a_time = state.oidc.refresh_lock.lock().await;
    let session = match state.store.oidc().find_session(session_hash).await {
        Ok(Some(session)) if due(&session) => session,
        _ => return RefreshOutcome::Unchanged,
    };
    match refresh_session(state, oidc_config, &config.secrets, &session).await {
        Ok(role) => RefreshOutcome::Refreshed(role),
        Err(error @ (OidcError::Unreachable { .. } | OidcError::ProviderAnswer { .. })) => {
            tracing::warn!(%error, "OIDC token refresh failed; the session goes on for now");
            RefreshOutcome::Unchanged
        }
        Err(error) => {
            tracing::info!(%error, "OIDC token refresh refused; the session ends");
            let _ = state.store.sessions().delete(session_hash).await;
            audit_refresh_end(state, session.user_id, &error).await;
            RefreshOutcome::Ended
        }
    }
}

async fn refresh_session(
    state: &AppState,
    oidc_config: &OidcConfig,
    secrets_config: &crate::config::SecretsConfig,
    session: &store::OidcSession,
) -> Result<Option<UserRole>, OidcError> {
    if session.refresh_token.ciphertext.is_empty() {
        return Err(OidcError::ProviderRefused(
            "the provider gave no refresh token".into(),
        ));
    }
    let keys = SecretKeys::load(secrets_config).map_err(|_| OidcError::NoSecretKey)?;
    let refresh_token = secret_store::open_detached(
        &keys,
        &session.refresh_token.key_id,
        &refresh_context(&session.session_hash),
        &session.refresh_token.ciphertext,
        &session.refresh_token.nonce,
    )
    .map_err(|_| OidcError::NoSecretKey)?;
    let metadata = state.oidc.metadata(oidc_config).await?;
    let secret = client_secret(state).await?;
    let tokens = state
        .oidc
        .refresh(
            oidc_config,
            &metadata,
            refresh_token.expose(),
            secret.as_ref().map(SecretValue::expose),
        )
        .await?;
    let mut role = None;
    let mut id_token = session.id_token.clone();
    if let Some(new_id_token) = &tokens.id_token {
        let claims = state
            .oidc
            .validate_id_token(oidc_config, &metadata, new_id_token, None)
            .await?;
        let mapped = role_from_claims(&claims, oidc_config).ok_or(OidcError::NoMappedRole)?;
        state
            .store
            .users()
            .update_role(session.user_id, mapped.as_str())
            .await?;
        role = Some(mapped);
        id_token = new_id_token.clone();
    }
    let key = keys.current.clone().ok_or(OidcError::NoSecretKey)?;
    let sealed = match tokens.refresh_token.as_deref() {
        Some(rotated) => seal_refresh_token(&key, &session.session_hash, Some(rotated)),
        None => session.refresh_token.clone(),
    };
    let now_ms = chrono::Utc::now().timestamp_millis();
    state
        .store
        .oidc()
        .update_tokens(
            &session.session_hash,
            &id_token,
            &sealed,
            access_expires_at_ms(now_ms, &tokens),
        )
        .await?;
    Ok(role)
}

async fn audit_refresh_end(state: &AppState, user_id: i64, error: &OidcError) {
    let actor = match state.store.users().get_by_id(user_id).await {
        Ok(Some(user)) => user.username,
        _ => format!("user:{user_id}"),
    };
    let entry = store::NewAuditEntry {
        at_ms: chrono::Utc::now().timestamp_millis(),
        actor: actor.clone(),
        action: "oidc refresh".into(),
        target: format!("user:{actor}"),
        source_ip: None,
        result: "session ended".into(),
        detail: serde_json::json!({"reason": error.reason_code(), "message": error.to_string()}),
    };
    if let Err(error) = state.store.audit_log().append(&entry).await {
        tracing::error!(%error, "cannot write the audit record of an OIDC refresh");
    }
}

/// For logout: the provider's end-session URL for session `session_hash`, when it is an OIDC
/// session and the provider has one.
pub async fn end_session_url(
    state: &AppState,
    session_hash: &str,
    post_logout_redirect_uri: &str,
) -> Option<String> {
    let session = state.store.oidc().find_session(session_hash).await.ok()??;
    let config = state.config.current();
    let metadata = state.oidc.metadata(&config.auth.oidc).await.ok()?;
    state.oidc.end_session_url(
        &config.auth.oidc,
        &metadata,
        &session.id_token,
        post_logout_redirect_uri,
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_username_is_preferred_username_else_the_subject() {
        assert_eq!(
            username_from_claims(&json!({"sub": "1", "preferred_username": "olga"})),
            Some("olga".into())
        );
        assert_eq!(
            username_from_claims(&json!({"sub": "f1-2", "preferred_username": " "})),
            Some("f1-2".into())
        );
        assert_eq!(username_from_claims(&json!({})), None);
    }

    #[test]
    fn oidc_users_have_no_usable_password() {
        assert!(!crate::auth::secrets::verify_password("", NO_PASSWORD));
        assert!(!crate::auth::secrets::verify_password(
            NO_PASSWORD,
            NO_PASSWORD
        ));
    }
}
