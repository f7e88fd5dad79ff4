//! Generation of the whole set, and rollback when the reload after a deploy fails.

mod common;

use autodeploy::reload::{CommandReloadConfig, NoReloadConfig};
use autodeploy::{
    AutodeployError, DeployOptions, Deployer, DeployerConfig, Device, DeviceProtocol,
    GenerateOptions, HealthcheckKind, HealthcheckTarget, ReloadConfig, deploy_and_reload,
    generate_deploy_set,
};

fn meter(id: &str) -> Device {
    Device {
        id: id.into(),
        address: "192.0.2.60".into(),
        protocol: DeviceProtocol::Modbus {
            port: 502,
            unit_id: 1,
        },
        sys_object_id: None,
        vendor: Some("detectviz-test-meter".into()),
        name: None,
        location: None,
        profile: None,
    }
}

fn web_check() -> HealthcheckTarget {
    HealthcheckTarget {
        name: "web".into(),
        check: HealthcheckKind::Http {
            url: "http://127.0.0.1:8080/".into(),
            method: "GET".into(),
            expected_status: 200,
        },
        timeout_seconds: 2,
    }
}

fn deployer(root: &std::path::Path) -> Deployer {
    let config = DeployerConfig {
        telegraf_directory: root.join("telegraf.d"),
        snapshot_directory: root.join("snapshots"),
        snapshot_retention: 5,
    };
    Deployer::new(config, common::load_reference()).unwrap()
}

fn options(message: &str) -> DeployOptions {
    DeployOptions {
        dry_run: false,
        author: "test".into(),
        message: message.into(),
    }
}

#[test]
fn the_deploy_set_has_one_file_per_device_and_target() {
    let profiles = common::load_profiles();
    let files = generate_deploy_set(
        &[meter("m1"), meter("m2")],
        &[web_check()],
        &profiles,
        &GenerateOptions::default(),
    )
    .unwrap();
    let names: Vec<&str> = files.iter().map(|file| file.file_name.as_str()).collect();
    assert_eq!(
        names,
        [
            "detectviz-device-m1.conf",
            "detectviz-device-m2.conf",
            "detectviz-healthcheck-web.conf"
        ]
    );
}

#[test]
fn a_failing_reload_restores_the_previous_files() {
    let root = tempfile::tempdir().unwrap();
    let deployer = deployer(root.path());
    let profiles = common::load_profiles();
    let first =
        generate_deploy_set(&[meter("m1")], &[], &profiles, &GenerateOptions::default()).unwrap();
    let working_reload = ReloadConfig::None(NoReloadConfig {}).build().unwrap();
    deploy_and_reload(
        &deployer,
        working_reload.as_ref(),
        &first,
        &options("first"),
    )
    .unwrap();

    let second = generate_deploy_set(
        &[meter("m2")],
        &[web_check()],
        &profiles,
        &GenerateOptions::default(),
    )
    .unwrap();
    let failing_reload = ReloadConfig::Command(CommandReloadConfig {
        argv: vec!["false".into()],
    })
    .build()
    .unwrap();
    let error = deploy_and_reload(
        &deployer,
        failing_reload.as_ref(),
        &second,
        &options("second"),
    )
    .unwrap_err();
    assert!(
        matches!(error, AutodeployError::RolledBack { .. }),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .contains("reloading the restored configuration failed too"),
        "{error}"
    );

    let mut present: Vec<String> = std::fs::read_dir(root.path().join("telegraf.d"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    present.sort();
    assert_eq!(present, ["detectviz-device-m1.conf"]);
    let restored =
        std::fs::read_to_string(root.path().join("telegraf.d/detectviz-device-m1.conf")).unwrap();
    assert_eq!(restored, first[0].contents);
}
