//! ID token validation: the signature with the provider's key named by `kid` (asymmetric
//! algorithms only, so a token "signed" with `none` or an HMAC of the public key is refused),
//! then `iss`, `aud` (and `azp` when there are several audiences), `exp`, `nbf` and `iat`
//! with a small leeway, and the `nonce` of the sign-in it answers.

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;

use super::OidcError;
use crate::auth::secrets::same_secret;

/// Signature algorithms accepted for ID tokens.
pub const ACCEPTED_ALGORITHMS: [Algorithm; 9] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// What a valid ID token must say.
#[derive(Debug, Clone)]
pub struct ExpectedIdToken<'a> {
    /// The issuer as the discovery document names it.
    pub issuer: &'a str,
    pub client_id: &'a str,
    /// The sign-in's nonce; `None` for a token from a refresh (which carries none).
    pub nonce: Option<&'a str>,
    pub leeway_s: u64,
}

/// The header's algorithm and key id, after checking the algorithm is accepted.
pub fn signing_key_id(id_token: &str) -> Result<(Algorithm, Option<String>), OidcError> {
    let header = jsonwebtoken::decode_header(id_token)
        .map_err(|error| OidcError::InvalidIdToken(format!("unreadable header: {error}")))?;
    if !ACCEPTED_ALGORITHMS.contains(&header.alg) {
        return Err(OidcError::InvalidIdToken(format!(
            "algorithm {:?} is not accepted",
            header.alg
        )));
    }
    Ok((header.alg, header.kid))
}

/// Checks `id_token` against `key` and `expected`; returns its claims.
pub fn validate(
    id_token: &str,
    algorithm: Algorithm,
    key: &Jwk,
    expected: &ExpectedIdToken<'_>,
) -> Result<Value, OidcError> {
    let decoding_key = DecodingKey::from_jwk(key)
        .map_err(|error| OidcError::InvalidIdToken(format!("unusable provider key: {error}")))?;
    let mut validation = Validation::new(algorithm);
    validation.set_issuer(&[expected.issuer]);
    validation.set_audience(&[expected.client_id]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation.validate_nbf = true;
    validation.leeway = expected.leeway_s;
    let claims = jsonwebtoken::decode::<Value>(id_token, &decoding_key, &validation)
        .map_err(|error| OidcError::InvalidIdToken(describe(error.kind(), expected)))?
        .claims;
    check_authorized_party(&claims, expected.client_id)?;
    check_issued_at(&claims, expected.leeway_s)?;
    if let Some(nonce) = expected.nonce {
        let presented = claims.get("nonce").and_then(Value::as_str).unwrap_or("");
        if !same_secret(presented, nonce) {
            return Err(OidcError::NonceMismatch);
        }
    }
    Ok(claims)
}

fn describe(kind: &ErrorKind, expected: &ExpectedIdToken<'_>) -> String {
    match kind {
        ErrorKind::ExpiredSignature => "it has expired".into(),
        ErrorKind::ImmatureSignature => "it is not valid yet (nbf)".into(),
        ErrorKind::InvalidIssuer => format!("its issuer is not {}", expected.issuer),
        ErrorKind::InvalidAudience => format!("its audience is not {}", expected.client_id),
        ErrorKind::InvalidSignature => "its signature does not verify".into(),
        ErrorKind::MissingRequiredClaim(claim) => format!("it lacks the {claim} claim"),
        ErrorKind::InvalidAlgorithm => "its algorithm does not fit the provider's key".into(),
        other => format!("{other:?}"),
    }
}

/// With several audiences, `azp` must name this client (OpenID Connect Core 3.1.3.7).
fn check_authorized_party(claims: &Value, client_id: &str) -> Result<(), OidcError> {
    let several = claims
        .get("aud")
        .and_then(Value::as_array)
        .is_some_and(|audiences| audiences.len() > 1);
    let authorized_party = claims.get("azp").and_then(Value::as_str);
    match authorized_party {
        Some(party) if party != client_id => Err(OidcError::InvalidIdToken(format!(
            "it was issued to {party}, not {client_id}"
        ))),
        None if several => Err(OidcError::InvalidIdToken(
            "several audiences and no azp".into(),
        )),
        _ => Ok(()),
    }
}

fn check_issued_at(claims: &Value, leeway_s: u64) -> Result<(), OidcError> {
    let now = jsonwebtoken::get_current_timestamp();
    match claims.get("iat").and_then(Value::as_u64) {
        Some(issued_at) if issued_at > now + leeway_s => Err(OidcError::InvalidIdToken(
            "it was issued in the future (iat)".into(),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn symmetric_and_none_algorithms_are_refused_before_any_key_is_looked_up() {
        use base64::Engine;
        let encode = |value: Value| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
        };
        let hmac = format!(
            "{}.{}.c2ln",
            encode(json!({"alg": "HS256"})),
            encode(json!({}))
        );
        let error = signing_key_id(&hmac).unwrap_err().to_string();
        assert!(error.contains("HS256"), "{error}");
        let none = format!("{}.{}.", encode(json!({"alg": "none"})), encode(json!({})));
        assert!(signing_key_id(&none).is_err());
        let rsa = format!(
            "{}.{}.c2ln",
            encode(json!({"alg": "RS256", "kid": "k1"})),
            encode(json!({}))
        );
        assert_eq!(
            signing_key_id(&rsa).unwrap(),
            (Algorithm::RS256, Some("k1".to_string()))
        );
    }

    #[test]
    fn azp_must_name_the_client_when_present_or_when_several_audiences() {
        assert!(check_authorized_party(&json!({"aud": "dv"}), "dv").is_ok());
        assert!(check_authorized_party(&json!({"aud": ["dv", "x"], "azp": "dv"}), "dv").is_ok());
        assert!(check_authorized_party(&json!({"aud": ["dv", "x"]}), "dv").is_err());
        assert!(check_authorized_party(&json!({"aud": "dv", "azp": "x"}), "dv").is_err());
    }
}
