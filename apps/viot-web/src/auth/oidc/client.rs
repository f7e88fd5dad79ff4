//! The calls to the OpenID provider and the process-wide caches: discovery metadata (kept an
//! hour, fetched again when the issuer changes), the JWKS (fetched again for an unknown key
//! id, at most once per `jwks_refetch_min_interval_s`), and the started sign-ins. Tokens never
//! appear in `Debug` output or logs.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{Jwk, JwkSet, PublicKeyUse};
use serde::Deserialize;
use serde_json::Value;

use super::discovery::{ProviderMetadata, fetch_jwks, fetch_metadata};
use super::id_token::{ExpectedIdToken, signing_key_id, validate};
use super::pending::PendingLogins;
use super::{OidcConfig, OidcError};

/// How long discovery metadata is reused.
const METADATA_MAX_AGE: Duration = Duration::from_secs(3600);
/// Timeout of each call to the provider.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);

struct CachedMetadata {
    issuer_url: String,
    metadata: Arc<ProviderMetadata>,
    fetched_at: Instant,
}

struct CachedJwks {
    uri: String,
    keys: JwkSet,
    /// When an unknown key id last caused a fetch; the first fetch of a URI does not count.
    refetched_for_unknown_key_at: Option<Instant>,
}

/// The provider's answer at the token endpoint. No `Debug`: it holds tokens.
#[derive(Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    #[serde(default)]
    pub id_token: Option<String>,
    #[serde(default)]
    pub refresh_token: Option<String>,
    /// Seconds the access token lives.
    #[serde(default)]
    pub expires_in: Option<u64>,
}

/// Held by the app state; cheap to share.
pub struct OidcClient {
    http: reqwest::Client,
    metadata: Mutex<Option<CachedMetadata>>,
    jwks: tokio::sync::Mutex<Option<CachedJwks>>,
    /// Sign-ins started and not yet finished.
    pub pending: PendingLogins,
    /// Serializes refreshes, so two requests of one session never spend one refresh token.
    pub refresh_lock: tokio::sync::Mutex<()>,
    jwks_fetches: std::sync::atomic::AtomicU64,
}

impl Default for OidcClient {
    fn default() -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(PROVIDER_TIMEOUT)
            .build()
            .unwrap_or_default();
        OidcClient {
            http,
            metadata: Mutex::new(None),
            jwks: tokio::sync::Mutex::new(None),
            pending: PendingLogins::default(),
            refresh_lock: tokio::sync::Mutex::new(()),
            jwks_fetches: Default::default(),
        }
    }
}

impl OidcClient {
    /// How many times the JWKS was fetched (initial fetches included).
    pub fn jwks_fetch_count(&self) -> u64 {
        self.jwks_fetches.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The provider's metadata, from the cache when fresh.
    pub async fn metadata(&self, config: &OidcConfig) -> Result<Arc<ProviderMetadata>, OidcError> {
        if !config.enabled || config.issuer_url.is_empty() {
            return Err(OidcError::NotConfigured);
        }
        if let Some(cached) = self.metadata.lock().expect("metadata lock").as_ref()
            && cached.issuer_url == config.issuer_url
            && cached.fetched_at.elapsed() < METADATA_MAX_AGE
        {
            return Ok(cached.metadata.clone());
        }
        let metadata = Arc::new(fetch_metadata(&self.http, &config.issuer_url).await?);
        *self.metadata.lock().expect("metadata lock") = Some(CachedMetadata {
            issuer_url: config.issuer_url.clone(),
            metadata: metadata.clone(),
            fetched_at: Instant::now(),
        });
        Ok(metadata)
    }

    /// Validates an ID token from this provider; `nonce` is `None` after a refresh.
    pub async fn validate_id_token(
        &self,
        config: &OidcConfig,
        metadata: &ProviderMetadata,
        id_token: &str,
        nonce: Option<&str>,
    ) -> Result<Value, OidcError> {
        let (algorithm, key_id) = signing_key_id(id_token)?;
        let key = self
            .signing_key(config, metadata, key_id.as_deref())
            .await?;
        let expected = ExpectedIdToken {
            issuer: &metadata.issuer,
            client_id: &config.client_id,
            nonce,
            leeway_s: config.leeway_s,
        };
        validate(id_token, algorithm, &key, &expected)
    }

    /// The provider key named `key_id`. An unknown id fetches the JWKS again (key rotation),
    /// unless an unknown id already caused a fetch less than `jwks_refetch_min_interval_s`
    /// ago (so tokens with made-up key ids cannot make Detectviz hammer the provider).
    async fn signing_key(
        &self,
        config: &OidcConfig,
        metadata: &ProviderMetadata,
        key_id: Option<&str>,
    ) -> Result<Jwk, OidcError> {
        let mut cache = self.jwks.lock().await;
        let cached_here = cache
            .as_ref()
            .filter(|cached| cached.uri == metadata.jwks_uri);
        if let Some(cached) = cached_here
            && let Some(key) = find_key(&cached.keys, key_id)
        {
            return Ok(key.clone());
        }
        let min_interval = Duration::from_secs(config.jwks_refetch_min_interval_s);
        let (may_fetch, refetched_for_unknown_key_at) = match cached_here {
            None => (true, None),
            Some(cached) => match cached.refetched_for_unknown_key_at {
                Some(at) if at.elapsed() < min_interval => (false, None),
                _ => (true, Some(Instant::now())),
            },
        };
        let unknown = || OidcError::UnknownSigningKey(key_id.unwrap_or("(none)").to_string());
        if !may_fetch {
            return Err(unknown());
        }
        let keys = fetch_jwks(&self.http, &metadata.jwks_uri).await?;
        self.jwks_fetches
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let found = find_key(&keys, key_id).cloned();
        *cache = Some(CachedJwks {
            uri: metadata.jwks_uri.clone(),
            keys,
            refetched_for_unknown_key_at,
        });
        found.ok_or_else(unknown)
    }

    /// Where to send the browser to sign in.
    pub fn authorization_url(
        &self,
        config: &OidcConfig,
        metadata: &ProviderMetadata,
        redirect_uri: &str,
        state: &str,
        nonce: &str,
        pkce_challenge: &str,
    ) -> Result<String, OidcError> {
        let mut scopes: Vec<&str> = vec!["openid"];
        scopes.extend(
            config
                .scopes
                .iter()
                .map(String::as_str)
                .filter(|scope| *scope != "openid"),
        );
        let scope = scopes.join(" ");
        let parameters = [
            ("response_type", "code"),
            ("client_id", config.client_id.as_str()),
            ("redirect_uri", redirect_uri),
            ("scope", scope.as_str()),
            ("state", state),
            ("nonce", nonce),
            ("code_challenge", pkce_challenge),
            ("code_challenge_method", "S256"),
        ];
        let url = reqwest::Url::parse_with_params(&metadata.authorization_endpoint, parameters)
            .map_err(|error| OidcError::ProviderAnswer {
                url: metadata.authorization_endpoint.clone(),
                status: 200,
                reason: format!("bad authorization_endpoint: {error}"),
            })?;
        Ok(url.to_string())
    }

    /// Exchanges an authorization code (with the PKCE verifier) for tokens.
    pub async fn exchange_code(
        &self,
        config: &OidcConfig,
        metadata: &ProviderMetadata,
        code: &str,
        pkce_verifier: &str,
        redirect_uri: &str,
        client_secret: Option<&str>,
    ) -> Result<TokenResponse, OidcError> {
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", pkce_verifier),
            ("client_id", config.client_id.as_str()),
        ];
        self.token_request(config, metadata, &form, client_secret)
            .await
    }

    /// Uses a refresh token; the provider's refusal (`invalid_grant`: the provider session
    /// ended) is `ProviderRefused`.
    pub async fn refresh(
        &self,
        config: &OidcConfig,
        metadata: &ProviderMetadata,
        refresh_token: &str,
        client_secret: Option<&str>,
    ) -> Result<TokenResponse, OidcError> {
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", config.client_id.as_str()),
        ];
        self.token_request(config, metadata, &form, client_secret)
            .await
    }

    async fn token_request(
        &self,
        config: &OidcConfig,
        metadata: &ProviderMetadata,
        form: &[(&str, &str)],
        client_secret: Option<&str>,
    ) -> Result<TokenResponse, OidcError> {
        let url = &metadata.token_endpoint;
        let mut request = self.http.post(url).form(form);
        if let Some(secret) = client_secret {
            // RFC 6749 2.3.1: both parts form-encoded before Basic.
            request =
                request.basic_auth(form_encoded(&config.client_id), Some(form_encoded(secret)));
        }
        let response = request
            .send()
            .await
            .map_err(|error| OidcError::Unreachable {
                url: url.clone(),
                reason: error_chain(&error.without_url()),
            })?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if status.is_client_error()
            && let Some(error) = body.get("error").and_then(Value::as_str)
        {
            let description = body
                .get("error_description")
                .and_then(Value::as_str)
                .unwrap_or("");
            return Err(OidcError::ProviderRefused(format!(
                "{error}: {description}"
            )));
        }
        if !status.is_success() {
            return Err(OidcError::ProviderAnswer {
                url: url.clone(),
                status: status.as_u16(),
                reason: "the token request failed".into(),
            });
        }
        serde_json::from_value(body).map_err(|error| OidcError::ProviderAnswer {
            url: url.clone(),
            status: status.as_u16(),
            reason: format!("unexpected token response: {error}"),
        })
    }

    /// RP-initiated logout: the provider's end-session URL with `id_token_hint`,
    /// `post_logout_redirect_uri` and `client_id`; `None` when the provider has none.
    pub fn end_session_url(
        &self,
        config: &OidcConfig,
        metadata: &ProviderMetadata,
        id_token: &str,
        post_logout_redirect_uri: &str,
    ) -> Option<String> {
        let endpoint = metadata.end_session_endpoint.as_deref()?;
        let parameters = [
            ("id_token_hint", id_token),
            ("post_logout_redirect_uri", post_logout_redirect_uri),
            ("client_id", config.client_id.as_str()),
        ];
        reqwest::Url::parse_with_params(endpoint, parameters)
            .ok()
            .map(|url| url.to_string())
    }
}

/// A key of `keys` for signatures named `key_id`; without a key id, the only signing key.
fn find_key<'keys>(keys: &'keys JwkSet, key_id: Option<&str>) -> Option<&'keys Jwk> {
    let for_signing =
        |key: &&Jwk| !matches!(key.common.public_key_use, Some(PublicKeyUse::Encryption));
    match key_id {
        Some(key_id) => keys
            .keys
            .iter()
            .filter(for_signing)
            .find(|key| key.common.key_id.as_deref() == Some(key_id)),
        None => {
            let mut signing = keys.keys.iter().filter(for_signing);
            let only = signing.next();
            if signing.next().is_some() {
                return None;
            }
            only
        }
    }
}

/// An error and its sources, `: `-separated.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// `application/x-www-form-urlencoded` form of one value.
fn form_encoded(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                (byte as char).to_string()
            }
            b' ' => "+".to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_credentials_are_form_encoded_for_basic_auth() {
        assert_eq!(form_encoded("detectviz"), "detectviz");
        assert_eq!(form_encoded("a b:c%/é"), "a+b%3Ac%25%2F%C3%A9");
    }
}
