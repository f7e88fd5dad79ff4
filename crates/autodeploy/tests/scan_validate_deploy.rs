//! Validation against the real peers (each profile field read with its expected type, a
//! report per field) and the end-to-end path: scan the snmpd peer, match its profile by
//! sysObjectID, generate, deploy into a temporary telegraf.d, and find the device's OIDs in
//! the written file.

mod common;
mod peers;

use std::time::Duration;

use autodeploy::scan::modbus_probe::probe_modbus_host;
use autodeploy::scan::snmp_probe::probe_snmp_host;
use autodeploy::scan::{ModbusScanSettings, SnmpScanSettings, device_from_scan, validate_device};
use autodeploy::{DeployOptions, Deployer, DeployerConfig, GenerateOptions, generate_deploy_set};
use peers::{ModbusDevice, SnmpAgent, community_credential, v3_credential};

fn snmp_settings(port: u16) -> SnmpScanSettings {
    SnmpScanSettings {
        port,
        credentials: vec![v3_credential(), community_credential()],
        timeout_ms: 500,
        retries: 1,
        ..SnmpScanSettings::default()
    }
}

#[tokio::test]
async fn an_snmp_device_validates_field_by_field_against_its_profile() {
    let agent = SnmpAgent::start().await;
    let settings = snmp_settings(agent.port);
    let scanned = probe_snmp_host("127.0.0.1".parse().unwrap(), &settings).await;
    let device = device_from_scan(&scanned.devices[0], &settings.credentials);
    let profiles = common::load_profiles();
    let profile = profiles.select_for(&device).unwrap();
    assert_eq!(profile.name, "net-snmp");
    let outcome = validate_device(
        &device,
        profile,
        Some(&settings.credentials[0]),
        Duration::from_millis(500),
    )
    .await;
    assert!(outcome.reachable, "{}", outcome.detail);
    let names: Vec<&str> = outcome
        .fields
        .iter()
        .map(|field| field.field.as_str())
        .collect();
    assert!(
        names.contains(&"sysName") && names.contains(&"interface.ifDescr"),
        "{names:?}"
    );
    assert!(outcome.passed(), "{:#?}", outcome.fields);

    let mut broken = profile.clone();
    broken.snmp.fields[0].oid = ".1.3.6.1.4.1.99999.1.0".to_string();
    let outcome = validate_device(
        &device,
        &broken,
        Some(&settings.credentials[0]),
        Duration::from_millis(500),
    )
    .await;
    assert!(!outcome.passed());
    assert_eq!(outcome.fields[0].observed, "missing");
    assert!(outcome.fields[1..].iter().all(|field| field.ok));
}

#[tokio::test]
async fn a_modbus_device_validates_register_by_register() {
    let meter = ModbusDevice::start();
    let settings = ModbusScanSettings {
        enabled: true,
        port: meter.port,
        first_unit_id: 1,
        last_unit_id: 1,
        unit_delay_ms: 0,
        timeout_ms: 500,
    };
    let scanned = probe_modbus_host("127.0.0.1".parse().unwrap(), &settings).await;
    let device = device_from_scan(&scanned.devices[0], &[]);
    assert_eq!(device.vendor.as_deref(), Some("detectviz-test-meter"));
    let profiles = common::load_profiles();
    let profile = profiles.select_for(&device).unwrap();
    assert_eq!(profile.name, "power-meter");
    let outcome = validate_device(&device, profile, None, Duration::from_millis(500)).await;
    assert!(outcome.passed(), "{:#?}", outcome.fields);
    let power = outcome
        .fields
        .iter()
        .find(|field| field.field == "power")
        .unwrap();
    assert_eq!(
        (power.source.as_str(), power.observed.as_str()),
        ("input:2", "2 value(s)")
    );

    let mut broken = profile.clone();
    broken.modbus.requests[0].fields[0].address = 900;
    let outcome = validate_device(&device, &broken, None, Duration::from_millis(500)).await;
    assert!(!outcome.fields[0].ok);
    assert!(
        outcome.fields[0].observed.starts_with("exception"),
        "{:?}",
        outcome.fields[0]
    );
}

#[tokio::test]
async fn scanning_the_snmp_peer_ends_in_a_deployed_file_naming_its_oids() {
    let agent = SnmpAgent::start().await;
    let settings = snmp_settings(agent.port);
    let scanned = probe_snmp_host("127.0.0.1".parse().unwrap(), &settings).await;
    let device = device_from_scan(&scanned.devices[0], &settings.credentials);
    let files = generate_deploy_set(
        &[device],
        &[],
        &common::load_profiles(),
        &GenerateOptions::default(),
    )
    .unwrap();
    let root = tempfile::tempdir().unwrap();
    let telegraf_directory = root.path().join("telegraf.d");
    std::fs::create_dir_all(&telegraf_directory).unwrap();
    let deployer = Deployer::new(
        DeployerConfig {
            telegraf_directory: telegraf_directory.clone(),
            snapshot_directory: root.path().join("snapshots"),
            snapshot_retention: 5,
        },
        common::load_reference(),
    )
    .unwrap();
    let options = DeployOptions {
        dry_run: false,
        author: "scan-test".into(),
        message: "scanned".into(),
    };
    let outcome = deployer.deploy(&files, &options).unwrap();
    assert!(outcome.applied);
    assert_eq!(outcome.written_files.len(), 1);
    let written =
        std::fs::read_to_string(telegraf_directory.join(&outcome.written_files[0])).unwrap();
    assert!(
        written.contains(&format!("udp://127.0.0.1:{}", agent.port)),
        "{written}"
    );
    for oid in [
        ".1.3.6.1.2.1.1.5.0",
        ".1.3.6.1.4.1.2021.10.1.5.1",
        ".1.3.6.1.2.1.2.2.1.2",
    ] {
        assert!(written.contains(oid), "{oid} missing from\n{written}");
    }
    assert!(written.contains("sec_level = \"authPriv\""), "{written}");
    assert!(
        !written.contains(peers::V3_AUTH_PASSWORD),
        "secrets stay out of telegraf.d"
    );
    assert!(written.contains("${SNMP_AUTH_PASSWORD}"), "{written}");
}
