//! The provider's metadata (`<issuer>/.well-known/openid-configuration`) and signing keys
//! (its `jwks_uri`), fetched over HTTP and checked: the metadata must name the configured
//! issuer, so a wrong URL or a look-alike provider is refused before any sign-in.

use jsonwebtoken::jwk::JwkSet;
use serde::Deserialize;

use super::OidcError;

/// The parts of the discovery document Detectviz uses.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ProviderMetadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    /// RP-initiated logout; absent when the provider has none.
    #[serde(default)]
    pub end_session_endpoint: Option<String>,
}

/// `issuer` without trailing slashes, for comparing configured and announced issuers.
pub fn normalized_issuer(issuer: &str) -> &str {
    issuer.trim_end_matches('/')
}

/// Fetches and checks the discovery document of `issuer_url`.
pub async fn fetch_metadata(
    http: &reqwest::Client,
    issuer_url: &str,
) -> Result<ProviderMetadata, OidcError> {
    let url = format!(
        "{}/.well-known/openid-configuration",
        normalized_issuer(issuer_url)
    );
    let metadata: ProviderMetadata = get_json(http, &url).await?;
    if normalized_issuer(&metadata.issuer) != normalized_issuer(issuer_url) {
        return Err(OidcError::IssuerMismatch {
            configured: issuer_url.to_string(),
            found: metadata.issuer,
        });
    }
    Ok(metadata)
}

/// Fetches the provider's public signing keys.
pub async fn fetch_jwks(http: &reqwest::Client, jwks_uri: &str) -> Result<JwkSet, OidcError> {
    get_json(http, jwks_uri).await
}

async fn get_json<T: serde::de::DeserializeOwned>(
    http: &reqwest::Client,
    url: &str,
) -> Result<T, OidcError> {
    let unreachable = |reason: String| OidcError::Unreachable {
        url: url.to_string(),
        reason,
    };
    let response = http
        .get(url)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|error| unreachable(super::client::error_chain(&error)))?;
    let status = response.status();
    if !status.is_success() {
        return Err(OidcError::ProviderAnswer {
            url: url.to_string(),
            status: status.as_u16(),
            reason: "not a success".into(),
        });
    }
    response
        .json::<T>()
        .await
        .map_err(|error| OidcError::ProviderAnswer {
            url: url.to_string(),
            status: status.as_u16(),
            reason: format!("unexpected document: {error}"),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuers_compare_without_trailing_slashes() {
        assert_eq!(
            normalized_issuer("https://kc/realms/a/"),
            "https://kc/realms/a"
        );
        assert_eq!(
            normalized_issuer("https://kc/realms/a"),
            "https://kc/realms/a"
        );
    }

    #[test]
    fn keycloak_metadata_parses_and_end_session_is_optional() {
        let text = r#"{"issuer":"https://kc/realms/a","authorization_endpoint":"https://kc/auth",
            "token_endpoint":"https://kc/token","jwks_uri":"https://kc/certs",
            "end_session_endpoint":"https://kc/logout","grant_types_supported":["authorization_code"]}"#;
        let metadata: ProviderMetadata = serde_json::from_str(text).unwrap();
        assert_eq!(
            metadata.end_session_endpoint.as_deref(),
            Some("https://kc/logout")
        );
        let without: ProviderMetadata = serde_json::from_str(
            r#"{"issuer":"i","authorization_endpoint":"a","token_endpoint":"t","jwks_uri":"j"}"#,
        )
        .unwrap();
        assert_eq!(without.end_session_endpoint, None);
    }
}
