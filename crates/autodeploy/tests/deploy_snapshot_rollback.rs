//! Deploys into a real directory: dry-run returns the diff and writes nothing; a deploy
//! validates, snapshots outside telegraf.d, writes the files and removes stale Detectviz
//! files; invalid files stop the whole deploy; rollback restores a snapshot; retention keeps
//! the newest N snapshots.

mod common;

use std::path::Path;

use autodeploy::deploy::DEPLOYER_SAMPLE_TOML;
use autodeploy::{AutodeployError, DeployOptions, Deployer, DeployerConfig, GeneratedFile};

const UNMANAGED_FILE: &str = "outputs.conf";

fn generated(file_name: &str, address: &str) -> GeneratedFile {
    GeneratedFile {
        file_name: file_name.to_string(),
        contents: format!("[[inputs.net_response]]\nprotocol = \"tcp\"\naddress = \"{address}\"\n"),
    }
}

fn deployer_in(root: &Path, retention: usize) -> Deployer {
    let telegraf_directory = root.join("telegraf.d");
    std::fs::create_dir_all(&telegraf_directory).unwrap();
    std::fs::write(
        telegraf_directory.join(UNMANAGED_FILE),
        "[[outputs.http]]\nurl = \"http://127.0.0.1:8080\"\n",
    )
    .unwrap();
    let config = DeployerConfig {
        telegraf_directory,
        snapshot_directory: root.join("data/snapshots"),
        snapshot_retention: retention,
    };
    Deployer::new(config, common::load_reference()).unwrap()
}

fn options(dry_run: bool, message: &str) -> DeployOptions {
    DeployOptions {
        dry_run,
        author: "test".into(),
        message: message.into(),
    }
}

fn read(root: &Path, name: &str) -> Option<String> {
    std::fs::read_to_string(root.join("telegraf.d").join(name)).ok()
}

#[test]
fn dry_run_returns_the_unified_diff_and_writes_nothing() {
    let root = tempfile::tempdir().unwrap();
    let deployer = deployer_in(root.path(), 5);
    let outcome = deployer
        .deploy(
            &[generated("detectviz-device-a.conf", "a:22")],
            &options(true, "dry"),
        )
        .unwrap();
    assert!(!outcome.applied && outcome.snapshot.is_none());
    assert!(
        outcome
            .diff
            .contains("--- /dev/null\n+++ b/detectviz-device-a.conf\n"),
        "{}",
        outcome.diff
    );
    assert!(
        outcome.diff.contains("+address = \"a:22\""),
        "{}",
        outcome.diff
    );
    assert_eq!(read(root.path(), "detectviz-device-a.conf"), None);
    assert!(deployer.snapshots().list().unwrap().is_empty());
}

#[test]
fn deploy_snapshots_writes_and_removes_only_managed_files_then_rolls_back() {
    let root = tempfile::tempdir().unwrap();
    let deployer = deployer_in(root.path(), 5);
    let first_set = [
        generated("detectviz-device-a.conf", "a:22"),
        generated("detectviz-device-b.conf", "b:22"),
    ];
    let first = deployer
        .deploy(&first_set, &options(false, "first"))
        .unwrap();
    assert!(first.applied);
    assert_eq!(
        first.written_files,
        ["detectviz-device-a.conf", "detectviz-device-b.conf"]
    );
    let before_first = first.snapshot.unwrap();
    assert_eq!(
        before_first.files.len(),
        1,
        "the snapshot holds the directory as it was"
    );
    assert_eq!(before_first.message, "first");

    let second_set = [generated("detectviz-device-a.conf", "a:2222")];
    let second = deployer
        .deploy(&second_set, &options(false, "second"))
        .unwrap();
    assert_eq!(second.written_files, ["detectviz-device-a.conf"]);
    assert_eq!(second.removed_files, ["detectviz-device-b.conf"]);
    assert!(
        second
            .diff
            .contains("-address = \"a:22\"\n+address = \"a:2222\""),
        "{}",
        second.diff
    );
    assert_eq!(read(root.path(), "detectviz-device-b.conf"), None);
    assert!(
        read(root.path(), UNMANAGED_FILE).is_some(),
        "files Detectviz does not own stay"
    );
    let leftovers: Vec<_> = std::fs::read_dir(root.path().join("telegraf.d"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    let unchanged = deployer
        .deploy(&second_set, &options(false, "again"))
        .unwrap();
    assert!(!unchanged.applied && unchanged.diff.is_empty() && unchanged.snapshot.is_none());

    let before_second = second.snapshot.unwrap();
    let rollback_diff = deployer.rollback(&before_second.id, "test").unwrap();
    assert!(
        rollback_diff.contains("+address = \"b:22\""),
        "{rollback_diff}"
    );
    assert_eq!(
        read(root.path(), "detectviz-device-a.conf").unwrap(),
        first_set[0].contents
    );
    assert_eq!(
        read(root.path(), "detectviz-device-b.conf").unwrap(),
        first_set[1].contents
    );

    let snapshots = deployer.snapshots().list().unwrap();
    assert_eq!(snapshots.len(), 3, "first, second and before-rollback");
    assert_eq!(
        snapshots[2].message,
        format!("before rollback to {}", before_second.id)
    );
    let snapshot_diff = deployer
        .snapshots()
        .diff(&before_first.id, &before_second.id)
        .unwrap();
    assert!(
        snapshot_diff.contains("+++ b/detectviz-device-b.conf"),
        "{snapshot_diff}"
    );
    assert!(!root.path().join("telegraf.d").join("data").exists());
}

#[test]
fn an_invalid_file_stops_the_whole_deploy_before_anything_is_written() {
    let root = tempfile::tempdir().unwrap();
    let deployer = deployer_in(root.path(), 5);
    let mut invalid = generated("detectviz-device-bad.conf", "c:22");
    invalid.contents.push_str("send_string = \"x\"\n");
    let files = [generated("detectviz-device-good.conf", "a:22"), invalid];
    let error = deployer.deploy(&files, &options(false, "bad")).unwrap_err();
    match &error {
        AutodeployError::Invalid {
            file_name,
            problems,
        } => {
            assert_eq!(file_name, "detectviz-device-bad.conf");
            assert!(
                problems.contains("inputs.net_response[0].send_string"),
                "{problems}"
            );
        }
        other => panic!("expected a validation error, got {other}"),
    }
    assert_eq!(read(root.path(), "detectviz-device-good.conf"), None);
    assert!(deployer.snapshots().list().unwrap().is_empty());
}

#[test]
fn unsafe_file_names_and_snapshots_inside_telegraf_d_are_refused() {
    let root = tempfile::tempdir().unwrap();
    let deployer = deployer_in(root.path(), 5);
    for name in [
        "../detectviz-x.conf",
        "device.conf",
        "detectviz-x.toml",
        "detectviz-a b.conf",
    ] {
        let error = deployer
            .deploy(&[generated(name, "a:1")], &options(true, ""))
            .unwrap_err();
        assert!(
            matches!(error, AutodeployError::UnsafeFileName { .. }),
            "{name}: {error}"
        );
    }
    let inside = DeployerConfig {
        telegraf_directory: root.path().join("telegraf.d"),
        snapshot_directory: root.path().join("telegraf.d/snapshots"),
        snapshot_retention: 3,
    };
    assert!(Deployer::new(inside, common::load_reference()).is_err());
    assert!(matches!(
        deployer.rollback("19700101T000000.000000Z", "test"),
        Err(AutodeployError::UnknownSnapshot { .. })
    ));
}

#[test]
fn retention_keeps_only_the_newest_snapshots() {
    let root = tempfile::tempdir().unwrap();
    let deployer = deployer_in(root.path(), 2);
    let mut taken = Vec::new();
    for port in 1..=4 {
        let outcome = deployer
            .deploy(
                &[generated("detectviz-device-a.conf", &format!("a:{port}"))],
                &options(false, &format!("deploy {port}")),
            )
            .unwrap();
        taken.push(outcome.snapshot.unwrap().id);
    }
    let kept: Vec<String> = deployer
        .snapshots()
        .list()
        .unwrap()
        .into_iter()
        .map(|manifest| manifest.id)
        .collect();
    assert_eq!(kept, taken[2..]);
    let on_disk = std::fs::read_dir(root.path().join("data/snapshots"))
        .unwrap()
        .count();
    assert_eq!(on_disk, 2);
}

#[test]
fn the_deployer_sample_configuration_parses() {
    let config: DeployerConfig = toml::from_str(DEPLOYER_SAMPLE_TOML).unwrap();
    assert_eq!(config.snapshot_retention, 20);
    assert!(
        !config
            .snapshot_directory
            .starts_with(&config.telegraf_directory)
    );
}
