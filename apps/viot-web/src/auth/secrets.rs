//! Password hashing (argon2id), random secrets, and SHA-256 digests of high-entropy tokens.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Prefix of API tokens, so they are recognisable in a leak scan.
pub const API_TOKEN_PREFIX: &str = "dvt_";

#[derive(Debug, thiserror::Error)]
#[error("cannot hash the password: {0}")]
pub struct PasswordHashError(String);

/// An argon2id PHC string with a random salt.
pub fn hash_password(password: &str) -> Result<String, PasswordHashError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|error| PasswordHashError(error.to_string()))
}

/// Whether `password` matches a stored PHC string; a malformed hash never matches.
pub fn verify_password(password: &str, stored_hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored_hash) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

/// `bytes` random bytes from the OS-seeded generator, as lowercase hex.
pub fn random_hex(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buffer);
    to_hex(&buffer)
}

/// A new API token: `dvt_` and 64 hex characters (256 bits).
pub fn new_api_token() -> String {
    format!("{API_TOKEN_PREFIX}{}", random_hex(32))
}

/// SHA-256 of a token or session id, as hex: what the store keeps instead of the secret.
pub fn digest(secret: &str) -> String {
    to_hex(&Sha256::digest(secret.as_bytes()))
}

/// Constant-time comparison for CSRF tokens.
pub fn same_secret(left: &str, right: &str) -> bool {
    left.len() == right.len()
        && left
            .bytes()
            .zip(right.bytes())
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_against_its_hash_only() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("wrong horse", &hash));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[test]
    fn tokens_are_long_random_and_digested() {
        let token = new_api_token();
        assert_eq!(token.len(), 4 + 64);
        assert_ne!(token, new_api_token());
        assert_eq!(
            digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(
            same_secret("abc", "abc") && !same_secret("abc", "abd") && !same_secret("abc", "ab")
        );
    }
}
