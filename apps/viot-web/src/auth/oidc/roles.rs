//! Keycloak-shaped role claims mapped to a Detectviz role.
//!
//! Roles are read from `realm_access.roles` and `resource_access.<client_id>.roles`; the
//! highest mapped role wins. A user with no mapped role gets `None` and is refused sign-in
//! (an account the provider did not grant Detectviz should not see plant data).

use serde_json::Value;

use super::OidcConfig;
use crate::auth::UserRole;

/// The Detectviz role for the provider roles in `claims`, or `None` when none is mapped.
pub fn role_from_claims(claims: &Value, config: &OidcConfig) -> Option<UserRole> {
    let provider_roles = provider_roles(claims, &config.client_id);
    let has_any = |mapped: &[String]| provider_roles.iter().any(|role| mapped.contains(role));
    if has_any(&config.admin_roles) {
        return Some(UserRole::Admin);
    }
    if has_any(&config.operator_roles) {
        return Some(UserRole::Operator);
    }
    if has_any(&config.viewer_roles) {
        return Some(UserRole::Viewer);
    }
    None
}

/// Realm roles followed by the roles of `client_id`; missing or malformed claims count as none.
fn provider_roles(claims: &Value, client_id: &str) -> Vec<String> {
    let realm_roles = claims.pointer("/realm_access/roles");
    let client_roles = claims
        .get("resource_access")
        .and_then(|access| access.get(client_id))
        .and_then(|client| client.get("roles"));
    [realm_roles, client_roles]
        .into_iter()
        .flatten()
        .filter_map(Value::as_array)
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn realm_admin_maps_to_admin_even_with_lower_client_roles() {
        let claims = json!({
            "realm_access": {"roles": ["offline_access", "admin"]},
            "resource_access": {"detectviz": {"roles": ["viewer"]}}
        });
        assert_eq!(
            role_from_claims(&claims, &OidcConfig::default()),
            Some(UserRole::Admin)
        );
    }

    #[test]
    fn client_role_alone_is_enough() {
        let claims = json!({"resource_access": {"detectviz": {"roles": ["operator"]}}});
        assert_eq!(
            role_from_claims(&claims, &OidcConfig::default()),
            Some(UserRole::Operator)
        );
    }

    #[test]
    fn roles_of_another_client_are_ignored() {
        let claims = json!({"resource_access": {"grafana": {"roles": ["admin"]}}});
        assert_eq!(role_from_claims(&claims, &OidcConfig::default()), None);
    }

    #[test]
    fn no_roles_or_malformed_claims_are_refused() {
        let config = OidcConfig::default();
        assert_eq!(role_from_claims(&json!({}), &config), None);
        assert_eq!(
            role_from_claims(&json!({"realm_access": {"roles": "admin"}}), &config),
            None
        );
    }

    #[test]
    fn custom_mapping_is_applied() {
        let config = OidcConfig {
            operator_roles: vec!["plant-shift".into()],
            ..OidcConfig::default()
        };
        let claims = json!({"realm_access": {"roles": ["plant-shift"]}});
        assert_eq!(role_from_claims(&claims, &config), Some(UserRole::Operator));
    }
}
