use std::path::{Path, PathBuf};

use super::*;
use crate::device::{DeviceProtocol, SnmpCredentialReference, SnmpVersion};

fn provisioned_profile_directory() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../conf/provisioning/templates/telegraf")
}

fn snmp_device(sys_object_id: Option<&str>, vendor: Option<&str>) -> Device {
    Device {
        id: "router-1".into(),
        address: "192.0.2.1".into(),
        protocol: DeviceProtocol::Snmp {
            port: 161,
            version: SnmpVersion::V2c,
            credentials: SnmpCredentialReference::Community {
                community_env: "SNMP_COMMUNITY".into(),
            },
        },
        sys_object_id: sys_object_id.map(String::from),
        vendor: vendor.map(String::from),
        name: None,
        location: None,
        profile: None,
    }
}

fn profile_error(text: &str) -> (String, String) {
    match Profile::parse(Path::new("/profiles/broken.toml"), text).unwrap_err() {
        AutodeployError::Profile { file, key, reason } => {
            assert_eq!(file, Path::new("/profiles/broken.toml"));
            (key, reason)
        }
        other => panic!("expected a profile error, got {other}"),
    }
}

#[test]
fn the_provisioned_profiles_load_and_include_the_generic_fallback() {
    let catalog = ProfileCatalog::load_directory(&provisioned_profile_directory()).unwrap();
    let names: Vec<&str> = catalog
        .profiles()
        .iter()
        .map(|profile| profile.name.as_str())
        .collect();
    assert_eq!(names, ["generic", "net-snmp", "power-meter"]);
}

#[test]
fn the_longest_sys_object_id_prefix_wins_over_vendor_and_fallback() {
    let catalog = ProfileCatalog::load_directory(&provisioned_profile_directory()).unwrap();
    let net_snmp = snmp_device(
        Some(".1.3.6.1.4.1.8072.3.2.10"),
        Some("detectviz-test-meter"),
    );
    assert_eq!(catalog.select_for(&net_snmp).unwrap().name, "net-snmp");
    let prefix_must_end_at_an_arc = snmp_device(Some(".1.3.6.1.4.1.80721"), None);
    assert_eq!(
        catalog.select_for(&prefix_must_end_at_an_arc).unwrap().name,
        "generic"
    );
}

#[test]
fn vendor_matching_ignores_case_and_unknown_devices_get_the_generic_profile() {
    let catalog = ProfileCatalog::load_directory(&provisioned_profile_directory()).unwrap();
    let meter = snmp_device(None, Some("Detectviz-Test-Meter"));
    assert_eq!(catalog.select_for(&meter).unwrap().name, "power-meter");
    let unknown = snmp_device(Some(".1.3.6.1.4.1.99999.1"), Some("Nobody"));
    assert_eq!(catalog.select_for(&unknown).unwrap().name, "generic");
}

#[test]
fn a_device_naming_a_missing_profile_is_an_error_naming_both() {
    let catalog = ProfileCatalog::load_directory(&provisioned_profile_directory()).unwrap();
    let mut device = snmp_device(None, None);
    device.profile = Some("no-such-profile".into());
    let message = catalog.select_for(&device).unwrap_err().to_string();
    assert!(
        message.contains("router-1") && message.contains("no-such-profile"),
        "{message}"
    );
}

#[test]
fn a_symbolic_oid_is_refused_with_the_key_of_the_field() {
    let (key, reason) = profile_error(
        "name = \"x\"\n[[snmp.fields]]\nname = \"a\"\noid = \".1.3.6\"\n[[snmp.fields]]\nname = \"b\"\noid = \"SNMPv2-MIB::sysName.0\"\n",
    );
    assert_eq!(key, "snmp.fields[1].oid");
    assert!(reason.contains("SNMPv2-MIB::sysName.0"), "{reason}");
}

#[test]
fn an_unknown_key_is_refused_and_named() {
    let (key, reason) = profile_error("name = \"x\"\nvendor = \"typo\"\n");
    assert_eq!(key, "vendor", "{reason}");
}

#[test]
fn modbus_register_kinds_and_types_are_checked_per_field() {
    let bad_register = "name = \"x\"\n[[modbus.requests]]\nregister = \"eeprom\"\nfields = []\n";
    assert_eq!(profile_error(bad_register).0, "modbus.requests[0].register");
    let missing_type = "name = \"x\"\n[[modbus.requests]]\nregister = \"holding\"\n[[modbus.requests.fields]]\naddress = 1\nname = \"v\"\n";
    assert_eq!(
        profile_error(missing_type).0,
        "modbus.requests[0].fields[0].type"
    );
    let coil_with_type = "name = \"x\"\n[[modbus.requests]]\nregister = \"coil\"\n[[modbus.requests.fields]]\naddress = 1\nname = \"v\"\ntype = \"INT16\"\n";
    assert_eq!(
        profile_error(coil_with_type).0,
        "modbus.requests[0].fields[0].type"
    );
}

#[test]
fn a_directory_without_generic_and_duplicate_names_are_refused() {
    let directory = tempfile::tempdir().unwrap();
    std::fs::write(directory.path().join("a.toml"), "name = \"vendor-a\"\n").unwrap();
    let error = ProfileCatalog::load_directory(directory.path()).unwrap_err();
    assert!(
        matches!(error, AutodeployError::MissingGenericProfile { .. }),
        "{error}"
    );

    std::fs::write(directory.path().join("b.toml"), "name = \"vendor-a\"\n").unwrap();
    let error = ProfileCatalog::load_directory(directory.path())
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("b.toml") && error.contains("`name`"),
        "{error}"
    );
}

#[test]
fn numeric_oids_are_recognised() {
    assert!(is_numeric_oid(".1.3.6.1.2.1.1.3.0"));
    assert!(is_numeric_oid("1.3.6"));
    for not_numeric in ["", ".", "1..3", "IF-MIB::ifDescr", ".1.3.a"] {
        assert!(!is_numeric_oid(not_numeric), "{not_numeric}");
    }
}
