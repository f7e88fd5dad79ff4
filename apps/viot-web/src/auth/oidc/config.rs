//! The `[auth.oidc]` configuration section: off by default.

use serde::{Deserialize, Serialize};

use crate::config::SecretText;

/// Sign-in through an OpenID provider such as Keycloak.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OidcConfig {
    /// Offer "sign in with the provider" at all.
    pub enabled: bool,
    /// Issuer URL, e.g. `https://keycloak.example/realms/detectviz`.
    pub issuer_url: String,
    /// The client registered at the provider; also the key under `resource_access`.
    pub client_id: String,
    /// The client secret: `secret:<name>` (a secret in the encrypted store, preferred) or the
    /// value itself. Never logged. Empty for a public client.
    pub client_secret: SecretText,
    /// How browsers reach Detectviz, e.g. `https://detectviz.example`; the callback is
    /// `<public_url>/auth/oidc/callback` and the logout return `<public_url>/login`. Empty:
    /// taken from the request's Host (and `X-Forwarded-Proto`).
    pub public_url: String,
    /// Scopes asked for; `openid` is always sent.
    pub scopes: Vec<String>,
    /// The provider's name on the sign-in button ("Sign in with …").
    pub display_name: String,
    /// Clock skew allowed on `exp`, `nbf` and `iat`, in seconds.
    pub leeway_s: u64,
    /// Least time between two JWKS fetches caused by an unknown key id, in seconds.
    pub jwks_refetch_min_interval_s: u64,
    /// The access token is refreshed when a request comes this close to its expiry, or later.
    pub refresh_before_expiry_s: u64,
    /// How long a started sign-in (state, nonce, PKCE verifier) may take, in seconds.
    pub login_timeout_s: u64,
    /// Provider roles (realm or client) that make a user an admin.
    pub admin_roles: Vec<String>,
    /// Provider roles that make a user an operator.
    pub operator_roles: Vec<String>,
    /// Provider roles that make a user a viewer. A user with none of the mapped roles is refused.
    pub viewer_roles: Vec<String>,
}

impl Default for OidcConfig {
    fn default() -> Self {
        OidcConfig {
            enabled: false,
            issuer_url: String::new(),
            client_id: "detectviz".into(),
            client_secret: SecretText::default(),
            public_url: String::new(),
            scopes: vec!["openid".into(), "profile".into(), "email".into()],
            display_name: "Keycloak".into(),
            leeway_s: 30,
            jwks_refetch_min_interval_s: 10,
            refresh_before_expiry_s: 30,
            login_timeout_s: 600,
            admin_roles: vec!["admin".into()],
            operator_roles: vec!["operator".into()],
            viewer_roles: vec!["viewer".into()],
        }
    }
}

impl OidcConfig {
    /// When enabled: a usable issuer URL, a client id, a public URL that is a URL, and at least
    /// one mapped role. Returns the key (under `auth.oidc`) and why.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        if !self.enabled {
            return Ok(());
        }
        let is_url = |text: &str| text.starts_with("https://") || text.starts_with("http://");
        if !is_url(&self.issuer_url) {
            return Err((
                "issuer_url",
                format!(
                    "{:?} is not an http(s) URL such as https://keycloak.example/realms/detectviz",
                    self.issuer_url
                ),
            ));
        }
        if self.client_id.trim().is_empty() {
            return Err(("client_id", "must not be empty".into()));
        }
        if !self.public_url.is_empty() && !is_url(&self.public_url) {
            return Err((
                "public_url",
                format!("{:?} is not an http(s) URL", self.public_url),
            ));
        }
        if self.admin_roles.is_empty()
            && self.operator_roles.is_empty()
            && self.viewer_roles.is_empty()
        {
            return Err((
                "viewer_roles",
                "no provider role is mapped: nobody could sign in".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::config::load_config_text;

    #[test]
    fn an_auth_oidc_section_is_read_and_unknown_keys_are_named() {
        let text = "[auth.oidc]\nenabled = true\nissuer_url = \"https://kc.example/realms/plant\"\noperator_roles = [\"shift\"]\n";
        let config = load_config_text("test.conf", text, &[]).unwrap();
        assert!(config.auth.oidc.enabled);
        assert_eq!(
            config.auth.oidc.issuer_url,
            "https://kc.example/realms/plant"
        );
        assert_eq!(config.auth.oidc.operator_roles, vec!["shift".to_string()]);
        assert_eq!(config.auth.oidc.client_id, "detectviz");
        let error = load_config_text(
            "test.conf",
            "[auth.oidc]\nenabled = true\nissuer_url = \"kc.example\"\n",
            &[],
        )
        .unwrap_err()
        .to_string();
        assert!(error.contains("auth.oidc.issuer_url"), "{error}");
        let error = load_config_text("test.conf", "[auth.oidc]\nclient = \"x\"\n", &[])
            .unwrap_err()
            .to_string();
        assert!(error.contains("client"), "{error}");
    }
}
