//! Authentication and authorization.
//!
//! Every request passes `authenticate`, which turns a session cookie or an API token into a
//! [`Principal`]. Every route is declared with an [`Access`] level in a
//! [`RouteBook`](crate::routes::book::RouteBook), which guards it with `authorize`: 401 without
//! credentials, 403 with too small a role or scope, 403 for a cookie-authenticated change
//! without the session's CSRF token. Mutating requests are written to the audit log.

pub mod lockout;
pub mod middleware;
pub mod oidc;
pub mod secrets;

use serde::{Deserialize, Serialize};

/// What a console user may do. Ordered: each role includes the ones below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UserRole {
    /// Reads everything.
    Viewer,
    /// Also acknowledges, silences and runs tasks.
    Operator,
    /// Also changes configuration, users, tokens and files.
    Admin,
}

impl UserRole {
    pub fn as_str(self) -> &'static str {
        match self {
            UserRole::Viewer => "viewer",
            UserRole::Operator => "operator",
            UserRole::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<UserRole> {
        match text {
            "viewer" => Some(UserRole::Viewer),
            "operator" => Some(UserRole::Operator),
            "admin" => Some(UserRole::Admin),
            _ => None,
        }
    }
}

/// API token scopes.
pub const SCOPE_WRITE_METRICS: &str = "write";
pub const SCOPE_READ: &str = "read";
pub const SCOPE_ADMIN: &str = "admin";
pub const ALL_SCOPES: [&str; 3] = [SCOPE_WRITE_METRICS, SCOPE_READ, SCOPE_ADMIN];

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No credentials needed (health, login).
    Public,
    /// Metric writes: a token with the `write` scope, or an operator session.
    WriteMetrics,
    /// At least this role; tokens map `read` → viewer and `admin` → admin.
    Role(UserRole),
}

/// How the caller proved who they are.
#[derive(Debug, Clone, PartialEq)]
pub enum Credential {
    /// A console session (cookie); changes need its CSRF token.
    Session {
        session_hash: String,
        csrf_token: String,
    },
    /// An API token (Authorization header); not subject to CSRF, it is never sent implicitly.
    Token { token_id: i64, scopes: Vec<String> },
}

/// The authenticated caller, put in the request extensions by `authenticate`.
#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    /// Username, or `token:<name>` for API tokens.
    pub name: String,
    pub user_id: Option<i64>,
    /// The role it acts with; a write-only token has none.
    pub role: Option<UserRole>,
    pub credential: Credential,
}

impl Principal {
    pub fn for_token(token_name: &str, token_id: i64, scopes: Vec<String>) -> Principal {
        let role = if scopes.iter().any(|scope| scope == SCOPE_ADMIN) {
            Some(UserRole::Admin)
        } else if scopes.iter().any(|scope| scope == SCOPE_READ) {
            Some(UserRole::Viewer)
        } else {
            None
        };
        Principal {
            name: format!("token:{token_name}"),
            user_id: None,
            role,
            credential: Credential::Token { token_id, scopes },
        }
    }

    /// Whether this caller may call a route of `access`.
    pub fn may(&self, access: Access) -> bool {
        match access {
            Access::Public => true,
            Access::Role(needed) => self.role.is_some_and(|role| role >= needed),
            Access::WriteMetrics => {
                let token_may_write = matches!(&self.credential, Credential::Token { scopes, .. }
                    if scopes.iter().any(|scope| scope == SCOPE_WRITE_METRICS || scope == SCOPE_ADMIN));
                token_may_write || self.role.is_some_and(|role| role >= UserRole::Operator)
            }
        }
    }
}
