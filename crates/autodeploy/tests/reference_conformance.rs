//! Every option Detectviz generates is a documented option of its Telegraf plugin, checked
//! against the reference files in the shared folder; the validator finds what is wrong with
//! a file, field by field; the upstream sample configs load without findings.

mod common;

use autodeploy::device::{SnmpSecurityLevel, is_environment_variable_name};
use autodeploy::{
    Device, DeviceProtocol, GenerateOptions, HealthcheckKind, HealthcheckTarget, OptionKind,
    SnmpCredentialReference, SnmpVersion, generate_device_file, validate_telegraf_toml,
};

fn device(id: &str, protocol: DeviceProtocol, profile: Option<&str>) -> Device {
    Device {
        id: id.into(),
        address: "192.0.2.10".into(),
        protocol,
        sys_object_id: None,
        vendor: None,
        name: Some(format!("{id} name")),
        location: Some("rack 3".into()),
        profile: profile.map(String::from),
    }
}

fn all_generated_files() -> Vec<autodeploy::GeneratedFile> {
    let profiles = common::load_profiles();
    let snmp_v2c = DeviceProtocol::Snmp {
        port: 161,
        version: SnmpVersion::V2c,
        credentials: SnmpCredentialReference::Community {
            community_env: "SNMP_COMMUNITY".into(),
        },
    };
    let snmp_v3 = DeviceProtocol::Snmp {
        port: 1161,
        version: SnmpVersion::V3,
        credentials: SnmpCredentialReference::Usm {
            security_name: "monitor".into(),
            security_level: SnmpSecurityLevel::AuthPriv,
            auth_protocol: Some("SHA256".into()),
            auth_password_env: Some("SNMP_AUTH_PASSWORD".into()),
            privacy_protocol: Some("AES".into()),
            privacy_password_env: Some("SNMP_PRIV_PASSWORD".into()),
            context_name: Some("".into()),
        },
    };
    let modbus = DeviceProtocol::Modbus {
        port: 502,
        unit_id: 7,
    };
    let devices = [
        device("switch-generic", snmp_v2c.clone(), None),
        device("linux-host", snmp_v3, Some("net-snmp")),
        device("meter-1", modbus.clone(), Some("power-meter")),
        device("plc-unknown", modbus, None),
    ];
    let mut files: Vec<_> = devices
        .iter()
        .map(|device| {
            let profile = profiles.select_for(device).unwrap();
            generate_device_file(device, profile, &GenerateOptions::default()).unwrap()
        })
        .collect();
    let targets = [
        HealthcheckTarget {
            name: "console".into(),
            check: HealthcheckKind::Http {
                url: "https://console.example.com/healthz".into(),
                method: "GET".into(),
                expected_status: 200,
            },
            timeout_seconds: 5,
        },
        HealthcheckTarget {
            name: "ssh".into(),
            check: HealthcheckKind::Tcp {
                address: "gateway.example.com:22".into(),
            },
            timeout_seconds: 2,
        },
    ];
    files.extend(targets.iter().map(|target| target.generate_file().unwrap()));
    files
}

#[test]
fn every_generated_option_is_documented_for_its_plugin() {
    let reference = common::load_reference();
    let files = all_generated_files();
    for file in &files {
        let report = validate_telegraf_toml(&file.file_name, &file.contents, &reference);
        assert!(
            report.is_valid(),
            "{}:\n{}\n{}",
            file.file_name,
            report.summary(),
            file.contents
        );
        assert!(
            report.checked_options > 5,
            "{}: too few options checked",
            file.file_name
        );
    }
    let all_text: String = files.iter().map(|file| file.contents.as_str()).collect();
    for plugin in [
        "[[inputs.snmp]]",
        "[[inputs.snmp.table.field]]",
        "[[inputs.modbus.request]]",
        "[[inputs.http_response]]",
        "[[inputs.net_response]]",
    ] {
        assert!(all_text.contains(plugin), "no generated file has {plugin}");
    }
}

#[test]
fn secrets_are_environment_references_never_values() {
    for file in all_generated_files() {
        let document: toml::Table = toml::from_str(&file.contents).unwrap();
        let Some(snmp_blocks) = document["inputs"]
            .get("snmp")
            .and_then(|value| value.as_array())
        else {
            continue;
        };
        for block in snmp_blocks {
            for secret_option in ["community", "auth_password", "priv_password"] {
                if let Some(value) = block.get(secret_option) {
                    let text = value.as_str().unwrap();
                    let variable = text
                        .strip_prefix("${")
                        .and_then(|rest| rest.strip_suffix('}'));
                    assert!(
                        variable.is_some_and(is_environment_variable_name),
                        "{secret_option} = {text}"
                    );
                }
            }
        }
    }
}

#[test]
fn the_reference_knows_plugins_nested_sections_and_types() {
    let reference = common::load_reference();
    assert_eq!(
        reference.option_kind("inputs.snmp", "retries"),
        Some(OptionKind::Integer)
    );
    assert_eq!(
        reference.option_kind("inputs.snmp", "agents"),
        Some(OptionKind::Array)
    );
    assert!(
        reference
            .option_kind("inputs.snmp.table", "index_as_tag")
            .is_some()
    );
    assert!(
        reference
            .option_kind("inputs.snmp.field", "is_tag")
            .is_some()
    );
    assert!(
        reference
            .option_kind("inputs.modbus.request.fields", "scale")
            .is_some()
    );
    assert!(
        reference
            .option_kind("inputs.http_response", "response_status_code")
            .is_some()
    );
    assert!(
        reference
            .option_kind("inputs.net_response", "fieldexclude")
            .is_some()
    );
    assert!(
        reference
            .option_kind("inputs.net_response", "interval")
            .is_some(),
        "common input option"
    );
    assert_eq!(
        reference.option_kind("inputs.snmp", "community_string"),
        None
    );
    assert_eq!(
        reference.option_kind("inputs.snmp.field", "interval"),
        None,
        "common options are plugin-level only"
    );
}

#[test]
fn the_validator_reports_each_problem_with_its_field_path() {
    let reference = common::load_reference();
    let text = r#"
[[inputs.snmp]]
  agents = ["udp://192.0.2.1:161"]
  retries = "three"
  community_string = "public"
  [[inputs.snmp.field]]
    name = "sysName"
[[inputs.no_such_plugin]]
  foo = 1
[[inputs.net_response]]
  protocol = "tcp"
"#;
    let report = validate_telegraf_toml("bad.conf", text, &reference);
    let paths: Vec<&str> = report
        .findings
        .iter()
        .map(|finding| finding.path.as_str())
        .collect();
    assert_eq!(
        paths,
        [
            "inputs.net_response[0].address",
            "inputs.no_such_plugin",
            "inputs.snmp[0].community_string",
            "inputs.snmp[0].field[0].oid",
            "inputs.snmp[0].retries",
        ],
        "{}",
        report.summary()
    );
    let broken = validate_telegraf_toml("broken.conf", "[[inputs.snmp]\n", &reference);
    assert_eq!(broken.findings[0].path, "(document)");
}

#[test]
fn the_upstream_sample_configs_load_without_findings() {
    let reference = common::load_reference();
    assert!(
        reference.sample_files().len() >= 10,
        "{:?}",
        reference.sample_files()
    );
    let mut checked_options = 0;
    // `inputs.modbus.sample_*.conf` are upstream fragments (no `[[inputs.modbus]]` header of
    // their own); `inputs.modbus.conf` is their assembled whole and is checked instead.
    let whole_configs = reference.sample_files().iter().filter(|path| {
        !path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .contains(".sample_")
    });
    for sample_file in whole_configs {
        let text = std::fs::read_to_string(sample_file).unwrap();
        let report = validate_telegraf_toml(&sample_file.display().to_string(), &text, &reference);
        assert!(
            report.is_valid(),
            "{}: {}",
            sample_file.display(),
            report.summary()
        );
        checked_options += report.checked_options;
    }
    // Most sample options are commented out; the set ones (agents, fields, modbus maps) count.
    assert!(
        checked_options > 30,
        "only {checked_options} options checked across the samples"
    );
}

#[test]
fn the_upstream_modbus_fragments_assembled_per_style_load_without_findings() {
    // Upstream's SampleConfig() joins begin + one style + end; do the same for each style.
    let reference = common::load_reference();
    let samples = common::shared_directory().join("reference/telegraf/samples");
    let part = |name: &str| {
        let path = samples.join(format!("inputs.modbus.sample_{name}.conf"));
        std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
    };
    for style in ["register", "request", "metric"] {
        let assembled = format!(
            "{}\n{}\n{}",
            part("general_begin"),
            part(style),
            part("general_end")
        );
        let report =
            validate_telegraf_toml(&format!("modbus {style} style"), &assembled, &reference);
        assert!(report.is_valid(), "{style}: {}", report.summary());
        assert!(
            report.checked_options > 5,
            "{style}: only {} options checked",
            report.checked_options
        );
    }
}

#[test]
fn a_missing_reference_is_a_clear_error() {
    let directory = tempfile::tempdir().unwrap();
    let error = autodeploy::TelegrafReference::load(directory.path())
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("README.md") && error.contains("cannot read the option list"),
        "{error}"
    );
}

#[test]
fn options_newer_than_the_configured_telegraf_are_refused_and_generated_files_fit_1_32() {
    let mut reference = common::load_reference();
    for version in ["1.32.0", "1.24.0"] {
        reference.set_installed_version(autodeploy::TelegrafVersion::parse(version));
        for file in all_generated_files() {
            let report = validate_telegraf_toml(&file.file_name, &file.contents, &reference);
            assert!(
                report.is_valid(),
                "{version} {}: {}",
                file.file_name,
                report.summary()
            );
        }
    }
    let text = "[[inputs.snmp]]\nagents = [\"udp://127.0.0.1:161\"]\nstop_on_error = true\n\
                [[inputs.http_response]]\nurls = [\"http://x\"]\ntoken = \"${TOKEN}\"\n";
    reference.set_installed_version(autodeploy::TelegrafVersion::parse("1.32.0"));
    let report = validate_telegraf_toml("new.conf", text, &reference);
    let paths: Vec<&str> = report
        .findings
        .iter()
        .map(|finding| finding.path.as_str())
        .collect();
    assert_eq!(
        paths,
        [
            "inputs.http_response[0].token",
            "inputs.snmp[0].stop_on_error"
        ],
        "{}",
        report.summary()
    );
    assert!(
        report.summary().contains("needs Telegraf 1.37.0"),
        "{}",
        report.summary()
    );
    reference.set_installed_version(autodeploy::TelegrafVersion::parse("1.39.3"));
    assert!(validate_telegraf_toml("new.conf", text, &reference).is_valid());
}
