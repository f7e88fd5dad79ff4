//! OpenID Connect (Keycloak) sign-in: the authorization code flow with PKCE, state and nonce.
//!
//! - [`config`]: the `[auth.oidc]` section.
//! - [`discovery`]: the provider's `.well-known/openid-configuration` and its JWKS, cached; an
//!   unknown key id fetches the JWKS again (at most once per `jwks_refetch_min_interval_s`).
//! - [`id_token`]: ID token validation (signature, issuer, audience, expiry, nonce).
//! - [`pending`]: started sign-ins (state → nonce, PKCE verifier), single use, with an expiry.
//! - [`client`]: the calls to the provider (authorization URL, code exchange, refresh,
//!   end-session URL) and the process-wide caches, held by the app state.
//! - [`sessions`]: what a validated sign-in becomes locally (user marked as OIDC, a console
//!   session with the sealed refresh token), and the refresh of a session when it is used.
//! - [`roles`], [`pkce`]: role claims → viewer/operator/admin; the S256 challenge.
//!
//! The routes are in `routes/oidc.rs`.

pub mod client;
pub mod config;
pub mod discovery;
pub mod id_token;
pub mod pending;
pub mod pkce;
pub mod roles;
pub mod sessions;

pub use client::OidcClient;
pub use config::OidcConfig;
pub use pkce::PkcePair;
pub use roles::role_from_claims;

use axum::http::StatusCode;

use crate::error::AppError;

/// Why an OIDC sign-in, refresh or logout failed. Messages name what was wrong, never a
/// token or secret.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("OIDC sign-in is not configured ([auth.oidc] enabled = false)")]
    NotConfigured,
    #[error("the OpenID provider cannot be reached at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("the OpenID provider answered {url} with {status}: {reason}")]
    ProviderAnswer {
        url: String,
        status: u16,
        reason: String,
    },
    #[error(
        "the provider's discovery document names issuer {found:?}, configured is {configured:?}"
    )]
    IssuerMismatch { configured: String, found: String },
    #[error("the provider refused the sign-in: {0}")]
    ProviderRefused(String),
    #[error("unknown, already used or expired sign-in state (start the sign-in again)")]
    UnknownState,
    #[error("the sign-in state does not match this browser's (start the sign-in again)")]
    StateMismatch,
    #[error("the callback lacks {0}")]
    MissingParameter(&'static str),
    #[error("the callback names issuer {0:?}, not the configured provider")]
    CallbackIssuer(String),
    #[error("the ID token is invalid: {0}")]
    InvalidIdToken(String),
    #[error("the ID token is signed with key id {0:?}, which the provider's JWKS does not hold")]
    UnknownSigningKey(String),
    #[error("the ID token's nonce does not match this sign-in")]
    NonceMismatch,
    #[error(
        "the user has none of the roles mapped to Detectviz (admin_roles, operator_roles, viewer_roles)"
    )]
    NoMappedRole,
    #[error("a local account named {0:?} exists; it cannot also sign in through the provider")]
    LocalAccountExists(String),
    #[error("the account {0:?} is deactivated")]
    Deactivated(String),
    #[error(
        "OIDC sessions need the secret key (DETECTVIZ_SECRET_KEY or [secrets] key_file) to seal refresh tokens"
    )]
    NoSecretKey,
    #[error("OIDC client secret: {0}")]
    ClientSecret(String),
    #[error("OIDC storage: {0}")]
    Store(#[from] store::StoreError),
}

impl OidcError {
    /// A short stable name for the audit log.
    pub fn reason_code(&self) -> &'static str {
        match self {
            OidcError::NotConfigured => "not_configured",
            OidcError::Unreachable { .. } | OidcError::ProviderAnswer { .. } => "provider_error",
            OidcError::IssuerMismatch { .. } => "discovery_issuer",
            OidcError::ProviderRefused(_) => "provider_refused",
            OidcError::UnknownState => "unknown_state",
            OidcError::StateMismatch => "state_mismatch",
            OidcError::MissingParameter(_) => "missing_parameter",
            OidcError::CallbackIssuer(_) => "callback_issuer",
            OidcError::InvalidIdToken(_) => "invalid_id_token",
            OidcError::UnknownSigningKey(_) => "unknown_signing_key",
            OidcError::NonceMismatch => "nonce_mismatch",
            OidcError::NoMappedRole => "no_mapped_role",
            OidcError::LocalAccountExists(_) => "local_account_exists",
            OidcError::Deactivated(_) => "deactivated",
            OidcError::NoSecretKey => "no_secret_key",
            OidcError::ClientSecret(_) => "client_secret",
            OidcError::Store(_) => "store",
        }
    }
}

impl From<OidcError> for AppError {
    fn from(error: OidcError) -> AppError {
        let message = error.to_string();
        match error {
            OidcError::NotConfigured => AppError::not_found(message),
            OidcError::Unreachable { .. }
            | OidcError::ProviderAnswer { .. }
            | OidcError::IssuerMismatch { .. } => {
                AppError::new(StatusCode::BAD_GATEWAY, "oidc_provider", message)
            }
            OidcError::Store(store_error) => AppError::from(store_error),
            OidcError::NoSecretKey | OidcError::ClientSecret(_) => AppError::unavailable(message),
            OidcError::MissingParameter(_) => AppError::bad_request(message),
            OidcError::NoMappedRole
            | OidcError::LocalAccountExists(_)
            | OidcError::Deactivated(_) => AppError::forbidden(message),
            _ => AppError::unauthorized(message),
        }
    }
}
