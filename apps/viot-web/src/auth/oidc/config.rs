//! The `[auth.oidc]` configuration section: off by default.

use serde::{Deserialize, Serialize};

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
            admin_roles: vec!["admin".into()],
            operator_roles: vec!["operator".into()],
            viewer_roles: vec!["viewer".into()],
        }
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
        let error = load_config_text("test.conf", "[auth.oidc]\nclient = \"x\"\n", &[])
            .unwrap_err()
            .to_string();
        assert!(error.contains("client"), "{error}");
    }
}
