//! Shared helpers for the integration tests: the Telegraf reference from the shared folder
//! and the provisioned profiles.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use autodeploy::{ProfileCatalog, TelegrafReference};

/// `$DETECTVIZ_SHARED_DIR`, else `../../../shared` relative to the crate.
pub fn shared_directory() -> PathBuf {
    TelegrafReference::shared_directory(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    )
}

/// The reference, or a failure saying exactly what is missing: these tests must not pass
/// silently without it.
pub fn load_reference() -> TelegrafReference {
    let directory = shared_directory();
    TelegrafReference::load(&directory).unwrap_or_else(|error| {
        panic!(
            "the Telegraf reference is required for this test and could not be loaded from {} \
             (set DETECTVIZ_SHARED_DIR to the folder holding reference/telegraf): {error}",
            directory.display()
        )
    })
}

pub fn profile_directory() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../conf/provisioning/templates/telegraf")
}

pub fn load_profiles() -> ProfileCatalog {
    ProfileCatalog::load_directory(&profile_directory()).expect("provisioned profiles load")
}
