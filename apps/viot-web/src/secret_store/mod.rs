//! Secrets encrypted at rest: the SMTP password, Slack and LINE tokens, webhook keys.
//!
//! [`SecretStore`] is the spec's SecretManager: `get`, `set`, `delete`, `list`, `versions`,
//! and key rotation (`reseal_under_current_key`). Every value is sealed with
//! XChaCha20-Poly1305 under a 32-byte key from `DETECTVIZ_SECRET_KEY` or `[secrets] key_file`
//! (see [`key`]); the store keeps only ciphertext. Each `set` adds a version. Configuration
//! refers to a secret as `secret:<name>`, resolved at use by [`SecretStore::resolve`]. Values
//! never appear in `Debug`, logs or API answers; only [`SecretMetadata`] leaves this module.

pub mod key;
mod seal;

use serde::Serialize;

pub use key::{SecretKey, SecretKeys};
use seal::Sealed;

/// The prefix of a reference to a stored secret in configuration: `secret:smtp_password`.
pub const REFERENCE_PREFIX: &str = "secret:";

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error(
        "no secret key: set the environment variable {} or [secrets] key_file",
        key::KEY_VARIABLE
    )]
    NoKey,
    #[error("bad secret key from {origin}: {reason}")]
    BadKey { origin: String, reason: String },
    #[error("secret {name} version {version} cannot be opened (wrong key, or the row was altered)")]
    CannotOpen { name: String, version: i64 },
    #[error(
        "secret {name} version {version} is sealed with key {key_id}, which is neither the current nor the previous key"
    )]
    UnknownKey {
        name: String,
        version: i64,
        key_id: String,
    },
    #[error(
        "secret name {0:?} is invalid: use 1 to 100 characters among a-z, 0-9, '_', '-' and '.'"
    )]
    BadName(String),
    #[error("secret {0} does not exist")]
    Missing(String),
    #[error("secret store: {0}")]
    Store(#[from] store::StoreError),
}

/// A secret's value; Debug and Display never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretValue(String);

impl SecretValue {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SecretValue {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("SecretValue(***)")
    }
}

/// What may be shown about one version: never the value, not even part of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecretMetadata {
    pub name: String,
    pub version: i64,
    pub key_id: String,
    pub created_at_ms: i64,
    pub created_by: String,
    /// Always `"********"`, so a console can show that a value is set.
    pub value: &'static str,
}

const MASK: &str = "********";

impl From<&store::SealedSecret> for SecretMetadata {
    fn from(sealed: &store::SealedSecret) -> Self {
        SecretMetadata {
            name: sealed.name.clone(),
            version: sealed.version,
            key_id: sealed.key_id.clone(),
            created_at_ms: sealed.created_at_ms,
            created_by: sealed.created_by.clone(),
            value: MASK,
        }
    }
}

/// Secrets over the store, sealed with `keys`.
pub struct SecretStore {
    store: store::Store,
    keys: SecretKeys,
}

impl SecretStore {
    pub fn new(store: store::Store, keys: SecretKeys) -> SecretStore {
        SecretStore { store, keys }
    }

    /// The newest value of `name`.
    pub async fn get(&self, name: &str) -> Result<Option<SecretValue>, SecretError> {
        let Some(sealed) = self.store.secrets().latest(name).await? else {
            return Ok(None);
        };
        self.open(&sealed).map(|value| Some(SecretValue(value)))
    }

    /// Stores `value` as the next version of `name`.
    pub async fn set(
        &self,
        name: &str,
        value: &str,
        changed_by: &str,
    ) -> Result<SecretMetadata, SecretError> {
        check_name(name)?;
        let key = self.keys.current.as_ref().ok_or(SecretError::NoKey)?;
        let version = self.store.secrets().next_version(name).await?;
        let Sealed { ciphertext, nonce } = seal::seal(key, name, version, value);
        let sealed = store::SealedSecret {
            name: name.to_string(),
            version,
            ciphertext,
            nonce,
            key_id: key.key_id().to_string(),
            created_at_ms: chrono::Utc::now().timestamp_millis(),
            created_by: changed_by.to_string(),
        };
        self.store.secrets().insert(&sealed).await?;
        Ok(SecretMetadata::from(&sealed))
    }

    /// Deletes every version of `name`.
    pub async fn delete(&self, name: &str) -> Result<(), SecretError> {
        match self.store.secrets().delete(name).await {
            Err(store::StoreError::NotFound { .. }) => Err(SecretError::Missing(name.into())),
            other => Ok(other?),
        }
    }

    /// The newest version of every secret.
    pub async fn list(&self) -> Result<Vec<SecretMetadata>, SecretError> {
        let sealed = self.store.secrets().list_latest().await?;
        Ok(sealed.iter().map(SecretMetadata::from).collect())
    }

    /// Every version of `name`, newest first.
    pub async fn versions(&self, name: &str) -> Result<Vec<SecretMetadata>, SecretError> {
        let sealed = self.store.secrets().versions(name).await?;
        if sealed.is_empty() {
            return Err(SecretError::Missing(name.into()));
        }
        Ok(sealed.iter().map(SecretMetadata::from).collect())
    }

    /// `secret:<name>` → the secret's newest value; any other text is returned as it is.
    pub async fn resolve(&self, text: &str) -> Result<SecretValue, SecretError> {
        let Some(name) = text.strip_prefix(REFERENCE_PREFIX) else {
            return Ok(SecretValue(text.to_string()));
        };
        self.get(name)
            .await?
            .ok_or_else(|| SecretError::Missing(name.into()))
    }

    /// Key rotation: every version sealed under another key than the current one is opened
    /// (with the previous key) and sealed again under the current key. Returns how many
    /// versions were re-sealed. Refuses when versions exist and there is no current key.
    pub async fn reseal_under_current_key(&self) -> Result<usize, SecretError> {
        let all = self.store.secrets().all_versions().await?;
        if all.is_empty() {
            return Ok(0);
        }
        let current = self.keys.current.as_ref().ok_or(SecretError::NoKey)?;
        let mut resealed = 0;
        for sealed in all
            .iter()
            .filter(|sealed| sealed.key_id != current.key_id())
        {
            let value = self.open(sealed)?;
            let Sealed { ciphertext, nonce } =
                seal::seal(current, &sealed.name, sealed.version, &value);
            let replacement = store::SealedSecret {
                ciphertext,
                nonce,
                key_id: current.key_id().to_string(),
                ..sealed.clone()
            };
            self.store.secrets().reseal(&replacement).await?;
            resealed += 1;
        }
        Ok(resealed)
    }

    fn open(&self, sealed: &store::SealedSecret) -> Result<String, SecretError> {
        let key = self
            .keys
            .by_id(&sealed.key_id)
            .ok_or_else(|| SecretError::UnknownKey {
                name: sealed.name.clone(),
                version: sealed.version,
                key_id: sealed.key_id.clone(),
            })?;
        let parts = Sealed {
            ciphertext: sealed.ciphertext.clone(),
            nonce: sealed.nonce.clone(),
        };
        seal::open(key, &sealed.name, sealed.version, &parts)
    }
}

/// Seals a value that is not a named secret (an OIDC refresh token) under `key`; `context`
/// (which a secret name cannot equal: it holds a `:`) binds the ciphertext to its row.
/// Returns (ciphertext, nonce), both base64.
pub fn seal_detached(key: &SecretKey, context: &str, value: &str) -> (String, String) {
    let Sealed { ciphertext, nonce } = seal::seal(key, context, 0, value);
    (ciphertext, nonce)
}

/// Opens what [`seal_detached`] sealed, with the key named `key_id` among `keys`.
pub fn open_detached(
    keys: &SecretKeys,
    key_id: &str,
    context: &str,
    ciphertext: &str,
    nonce: &str,
) -> Result<SecretValue, SecretError> {
    let key = keys.by_id(key_id).ok_or_else(|| SecretError::UnknownKey {
        name: context.to_string(),
        version: 0,
        key_id: key_id.to_string(),
    })?;
    let parts = Sealed {
        ciphertext: ciphertext.to_string(),
        nonce: nonce.to_string(),
    };
    seal::open(key, context, 0, &parts).map(SecretValue)
}

fn check_name(name: &str) -> Result<(), SecretError> {
    let allowed = |byte: u8| {
        byte.is_ascii_lowercase() || byte.is_ascii_digit() || matches!(byte, b'_' | b'-' | b'.')
    };
    if name.is_empty() || name.len() > 100 || !name.bytes().all(allowed) {
        return Err(SecretError::BadName(name.to_string()));
    }
    Ok(())
}

impl From<SecretError> for crate::error::AppError {
    fn from(error: SecretError) -> Self {
        use crate::error::AppError;
        match error {
            SecretError::Store(store_error) => AppError::from(store_error),
            SecretError::Missing(_) => AppError::not_found(error.to_string()),
            SecretError::BadName(_) => AppError::bad_request(error.to_string()),
            SecretError::NoKey => AppError::new(
                axum::http::StatusCode::CONFLICT,
                "no_secret_key",
                error.to_string(),
            ),
            other => {
                tracing::error!(error = %other, "secret store");
                AppError::internal("a stored secret cannot be opened; see the server log")
            }
        }
    }
}
