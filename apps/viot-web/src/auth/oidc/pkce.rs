//! PKCE (RFC 7636) with the S256 method: a random verifier kept server-side, its
//! SHA-256 challenge sent to the provider.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A code verifier and the challenge derived from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PkcePair {
    /// Secret; sent only to the token endpoint.
    pub verifier: String,
    /// `BASE64URL(SHA256(verifier))`; sent in the authorization request.
    pub challenge: String,
}

impl PkcePair {
    /// A fresh pair from 32 random bytes (a 43-character verifier).
    pub fn generate() -> PkcePair {
        let mut random_bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut random_bytes);
        PkcePair::from_verifier(URL_SAFE_NO_PAD.encode(random_bytes))
    }

    /// The pair for a given verifier.
    pub fn from_verifier(verifier: String) -> PkcePair {
        let challenge = s256_challenge(&verifier);
        PkcePair {
            verifier,
            challenge,
        }
    }

    /// Always `S256`; the plain method is never used.
    pub fn method(&self) -> &'static str {
        "S256"
    }
}

/// `BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))`.
pub fn s256_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(&Sha256::digest(verifier.as_bytes())[..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenge_matches_the_rfc_7636_appendix_b_example() {
        let pair = PkcePair::from_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into());
        assert_eq!(
            pair.challenge,
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert_eq!(pair.method(), "S256");
    }

    #[test]
    fn generated_verifiers_are_long_enough_and_differ() {
        let first = PkcePair::generate();
        let second = PkcePair::generate();
        assert_eq!(first.verifier.len(), 43);
        assert_ne!(first.verifier, second.verifier);
        assert_eq!(first.challenge, s256_challenge(&first.verifier));
    }
}
