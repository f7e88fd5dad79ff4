//! The key that seals stored secrets: 32 bytes from the environment variable
//! `DETECTVIZ_SECRET_KEY` or from the file named by `[secrets] key_file` (the variable wins),
//! written as 64 hex characters or as base64. The previous key of a rotation comes from
//! `DETECTVIZ_SECRET_KEY_PREVIOUS` or `[secrets] previous_key_file`.

use std::path::Path;

use base64::Engine;
use sha2::{Digest, Sha256};

use super::SecretError;
use crate::config::SecretsConfig;

pub const KEY_VARIABLE: &str = "DETECTVIZ_SECRET_KEY";
pub const PREVIOUS_KEY_VARIABLE: &str = "DETECTVIZ_SECRET_KEY_PREVIOUS";

/// A 32-byte sealing key. Its Debug form shows only the key id.
#[derive(Clone)]
pub struct SecretKey {
    bytes: [u8; 32],
    key_id: String,
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "SecretKey({})", self.key_id)
    }
}

impl SecretKey {
    /// Parses 64 hex characters or the base64 of 32 bytes; `origin` names where it came from.
    pub fn parse(text: &str, origin: &str) -> Result<SecretKey, SecretError> {
        let text = text.trim();
        let decoded = if text.len() == 64 && text.bytes().all(|byte| byte.is_ascii_hexdigit()) {
            (0..32)
                .map(|index| u8::from_str_radix(&text[index * 2..index * 2 + 2], 16))
                .collect::<Result<Vec<u8>, _>>()
                .ok()
        } else {
            base64::engine::general_purpose::STANDARD.decode(text).ok()
        };
        let bytes: [u8; 32] = decoded
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or_else(|| SecretError::BadKey {
                origin: origin.to_string(),
                reason: "expected 32 bytes as 64 hex characters or base64".into(),
            })?;
        Ok(SecretKey::from_bytes(bytes))
    }

    pub fn from_bytes(bytes: [u8; 32]) -> SecretKey {
        let mut hasher = Sha256::new();
        hasher.update(b"detectviz secret key id\0");
        hasher.update(bytes);
        let key_id = hasher.finalize()[..8]
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        SecretKey { bytes, key_id }
    }

    /// A stable id of this key, stored beside each sealed version; reveals nothing of the key.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    pub(super) fn bytes(&self) -> &[u8; 32] {
        &self.bytes
    }
}

/// The current key (sealing and opening) and, during a rotation, the previous one (opening).
#[derive(Debug, Clone, Default)]
pub struct SecretKeys {
    pub current: Option<SecretKey>,
    pub previous: Option<SecretKey>,
}

impl SecretKeys {
    /// Reads the keys from the environment and the configured files.
    pub fn load(config: &SecretsConfig) -> Result<SecretKeys, SecretError> {
        Ok(SecretKeys {
            current: load_one(KEY_VARIABLE, &config.key_file)?,
            previous: load_one(PREVIOUS_KEY_VARIABLE, &config.previous_key_file)?,
        })
    }

    /// The key whose id is `key_id`, if it is one of these.
    pub fn by_id(&self, key_id: &str) -> Option<&SecretKey> {
        [self.current.as_ref(), self.previous.as_ref()]
            .into_iter()
            .flatten()
            .find(|key| key.key_id() == key_id)
    }
}

fn load_one(variable: &str, file: &str) -> Result<Option<SecretKey>, SecretError> {
    if let Ok(text) = std::env::var(variable)
        && !text.trim().is_empty()
    {
        return SecretKey::parse(&text, &format!("environment variable {variable}")).map(Some);
    }
    if file.is_empty() {
        return Ok(None);
    }
    let origin = format!("key file {file}");
    let text = std::fs::read_to_string(Path::new(file)).map_err(|error| SecretError::BadKey {
        origin: origin.clone(),
        reason: error.to_string(),
    })?;
    SecretKey::parse(&text, &origin).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_from_hex_or_base64_and_bad_keys_name_their_origin() {
        let hex = "00".repeat(31) + "01";
        let from_hex = SecretKey::parse(&hex, "test").unwrap();
        let mut bytes = [0u8; 32];
        bytes[31] = 1;
        let base64_text = base64::engine::general_purpose::STANDARD.encode(bytes);
        let from_base64 = SecretKey::parse(&format!("{base64_text}\n"), "test").unwrap();
        assert_eq!(from_hex.key_id(), from_base64.key_id());
        assert_eq!(from_hex.key_id().len(), 16);
        assert!(!format!("{from_hex:?}").contains(&hex));

        let error = SecretKey::parse("too short", "key file /etc/dv.key").unwrap_err();
        assert!(
            error.to_string().contains("key file /etc/dv.key"),
            "{error}"
        );
    }
}
