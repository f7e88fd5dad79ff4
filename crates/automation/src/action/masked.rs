//! How secrets in action configs are shown: every [`Secret`] serialises as [`MASK`], so a
//! rule can be listed through the API without handing out webhook tokens or signature keys.
//! A rule sent back with `***` in a secret's place keeps the stored secret (see
//! [`crate::stored_rule`]).

use std::collections::BTreeMap;

use serde::Serializer;
use serde::ser::SerializeMap;

use crate::action::Secret;

/// What a secret looks like when a rule is shown.
pub const MASK: &str = "***";

pub(crate) fn secret<S: Serializer>(_secret: &Secret, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(MASK)
}

pub(crate) fn optional_secret<S: Serializer>(
    secret: &Option<Secret>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match secret {
        Some(_) => serializer.serialize_str(MASK),
        None => serializer.serialize_none(),
    }
}

pub(crate) fn secret_map<S: Serializer>(
    secrets: &BTreeMap<String, Secret>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(Some(secrets.len()))?;
    for name in secrets.keys() {
        map.serialize_entry(name, MASK)?;
    }
    map.end()
}
