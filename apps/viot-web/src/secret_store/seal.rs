//! Sealing one secret version with XChaCha20-Poly1305: a random 192-bit nonce per version, and
//! the secret's name and version as associated data, so a ciphertext copied onto another row
//! does not open.

use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;

use super::SecretError;
use super::key::SecretKey;

/// Ciphertext and nonce, both base64, as the store keeps them.
pub struct Sealed {
    pub ciphertext: String,
    pub nonce: String,
}

fn associated_data(name: &str, version: i64) -> Vec<u8> {
    format!("detectviz secret\0{name}\0{version}").into_bytes()
}

pub fn seal(key: &SecretKey, name: &str, version: i64, value: &str) -> Sealed {
    let cipher = XChaCha20Poly1305::new(key.bytes().into());
    let mut nonce = [0u8; 24];
    rand::rng().fill_bytes(&mut nonce);
    let aad = associated_data(name, version);
    let ciphertext = cipher
        .encrypt(
            &XNonce::from(nonce),
            Payload {
                msg: value.as_bytes(),
                aad: &aad,
            },
        )
        .expect("XChaCha20-Poly1305 seals any message that fits in memory");
    let base64 = base64::engine::general_purpose::STANDARD;
    Sealed {
        ciphertext: base64.encode(ciphertext),
        nonce: base64.encode(nonce),
    }
}

pub fn open(
    key: &SecretKey,
    name: &str,
    version: i64,
    sealed: &Sealed,
) -> Result<String, SecretError> {
    let cannot_open = || SecretError::CannotOpen {
        name: name.to_string(),
        version,
    };
    let base64 = base64::engine::general_purpose::STANDARD;
    let nonce = base64.decode(&sealed.nonce).map_err(|_| cannot_open())?;
    let ciphertext = base64
        .decode(&sealed.ciphertext)
        .map_err(|_| cannot_open())?;
    let nonce: [u8; 24] = nonce.try_into().map_err(|_| cannot_open())?;
    let cipher = XChaCha20Poly1305::new(key.bytes().into());
    let aad = associated_data(name, version);
    let plain = cipher
        .decrypt(
            &XNonce::from(nonce),
            Payload {
                msg: &ciphertext,
                aad: &aad,
            },
        )
        .map_err(|_| cannot_open())?;
    String::from_utf8(plain).map_err(|_| cannot_open())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_with_its_key_name_and_version() {
        let key = SecretKey::from_bytes([7; 32]);
        let other_key = SecretKey::from_bytes([8; 32]);
        let sealed = seal(&key, "smtp_password", 3, "hunter2 hunter2");
        assert!(!sealed.ciphertext.contains("hunter2"));
        assert_eq!(
            open(&key, "smtp_password", 3, &sealed).unwrap(),
            "hunter2 hunter2"
        );
        assert!(open(&other_key, "smtp_password", 3, &sealed).is_err());
        assert!(open(&key, "slack_token", 3, &sealed).is_err());
        assert!(open(&key, "smtp_password", 2, &sealed).is_err());
        let again = seal(&key, "smtp_password", 3, "hunter2 hunter2");
        assert_ne!(again.nonce, sealed.nonce, "a fresh nonce per seal");
    }
}
