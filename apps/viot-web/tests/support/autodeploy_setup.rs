//! Shared by the autodeploy tests: an `[autodeploy]` config writing into a temporary
//! directory (with an unmanaged `outputs.conf` already in telegraf.d), the Telegraf reference
//! from the shared folder, and the names of the files in telegraf.d.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use viot_web::config::Config;

pub fn shared_directory() -> PathBuf {
    std::env::var_os("DETECTVIZ_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
}

pub fn autodeploy_config(root: &Path, pid_file: &Path, verify_timeout_s: u64) -> Config {
    let reference = shared_directory().join("reference/telegraf");
    assert!(
        reference.join("README.md").exists(),
        "the Telegraf reference is required: set DETECTVIZ_SHARED_DIR (missing {})",
        reference.display()
    );
    let autodeploy = toml::from_str(&format!(
        "enabled = true\n\
         telegraf_directory = {:?}\n\
         snapshot_directory = {:?}\n\
         telegraf_reference_directory = {:?}\n\
         profiles_directory = {:?}\n\
         healthcheck_targets_file = {:?}\n\
         verify_timeout_s = {verify_timeout_s}\n\
         [reload]\ntype = \"Signal\"\npid_file = {:?}\n",
        root.join("telegraf.d"),
        root.join("snapshots"),
        reference,
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../conf/provisioning/templates/telegraf"),
        root.join("healthcheck_targets.csv"),
        pid_file,
    ))
    .unwrap();
    let config = Config {
        autodeploy,
        ..Config::default()
    };
    std::fs::create_dir_all(root.join("telegraf.d")).unwrap();
    std::fs::write(
        root.join("telegraf.d/outputs.conf"),
        "[[outputs.http]]\nurl = \"http://127.0.0.1:8080/write\"\n",
    )
    .unwrap();
    config
}

pub fn telegraf_files(root: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root.join("telegraf.d"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}
