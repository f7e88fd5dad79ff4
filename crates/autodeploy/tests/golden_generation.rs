//! Golden-file cases: `tests/cases/<case>/device.toml` is generated with the provisioned
//! profiles and must equal `expected.conf` byte for byte. With `DETECTVIZ_UPDATE_GOLDEN=1`
//! the expected files are rewritten instead (review the diff before committing).

mod common;

use std::path::Path;

use autodeploy::{Device, GenerateOptions, generate_device_file, validate_telegraf_toml};

#[test]
fn generated_configuration_matches_the_golden_files() {
    let profiles = common::load_profiles();
    let reference = common::load_reference();
    let cases_directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut case_directories: Vec<_> = std::fs::read_dir(&cases_directory)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    case_directories.sort();
    assert!(
        case_directories.len() >= 3,
        "golden cases missing in {}",
        cases_directory.display()
    );
    let update = std::env::var_os("DETECTVIZ_UPDATE_GOLDEN").is_some();
    let mut mismatches = Vec::new();
    for case_directory in case_directories {
        let device_text = std::fs::read_to_string(case_directory.join("device.toml")).unwrap();
        let device: Device = toml::from_str(&device_text)
            .unwrap_or_else(|error| panic!("{}: {error}", case_directory.display()));
        let profile = profiles.select_for(&device).unwrap();
        let generated =
            generate_device_file(&device, profile, &GenerateOptions::default()).unwrap();
        let report = validate_telegraf_toml(&generated.file_name, &generated.contents, &reference);
        assert!(
            report.is_valid(),
            "{}: {}",
            case_directory.display(),
            report.summary()
        );
        let expected_path = case_directory.join("expected.conf");
        if update {
            std::fs::write(&expected_path, &generated.contents).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if expected != generated.contents {
            mismatches.push(format!(
                "{}:\n{}",
                case_directory.display(),
                generated.contents
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "generated output differs from expected.conf:\n{}",
        mismatches.join("\n")
    );
}
