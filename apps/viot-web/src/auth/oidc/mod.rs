//! OpenID Connect (Keycloak) sign-in: the first pieces.
//!
//! This module holds the parts of the authorization code flow that do not need the network:
//! the `[auth.oidc]` configuration, the PKCE (S256) verifier and challenge, and the mapping
//! of Keycloak-shaped role claims (`realm_access.roles`, `resource_access.<client>.roles`) to
//! a Detectviz [`UserRole`](crate::auth::UserRole). Discovery, the login and callback routes,
//! ID token validation and single logout are not wired yet (see issue #11, point 2).

pub mod config;
pub mod pkce;
pub mod roles;

pub use config::OidcConfig;
pub use pkce::PkcePair;
pub use roles::role_from_claims;
