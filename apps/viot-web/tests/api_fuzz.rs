//! Schemathesis (PyPI, installed into `.venv` by `scripts/install-test-deps.sh`) fuzzes every
//! operation of the served `/api/openapi.json` with an admin token: no answer may be a 5xx.

mod support;

use std::path::PathBuf;

use support::served::{ServedBinary, add_admin, add_token, write_config};

/// The console's HTML pages and its never-ending event stream are not REST calls: not fuzzed.
const CONSOLE_PATHS: &str = "^/($|login|pages/|components/|static/|console/)";

fn schemathesis() -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/schemathesis");
    assert!(
        path.exists(),
        "{} is missing: run scripts/install-test-deps.sh",
        path.display()
    );
    path
}

#[tokio::test]
async fn schemathesis_finds_no_server_error_in_any_documented_operation() {
    let directory = tempfile::tempdir().unwrap();
    let port = support::spare_port();
    let config = write_config(directory.path(), port, "warn");
    add_admin(directory.path(), "ada", "a long enough password").await;
    let token = add_token(directory.path(), "fuzz", &["admin", "write"]).await;
    let secret_key = viot_web::auth::secrets::random_hex(32);
    // Autodeploy on, writing into the test's directory, so its routes are fuzzed for real.
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let profiles = manifest.join("../../conf/provisioning/templates/telegraf");
    let reference = std::env::var_os("DETECTVIZ_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("../../../shared"))
        .join("reference/telegraf");
    let environment = [
        ("DETECTVIZ_SECRET_KEY", secret_key.as_str()),
        ("DETECTVIZ_AUTODEPLOY__ENABLED", "true"),
        ("DETECTVIZ_AUTODEPLOY__TELEGRAF_DIRECTORY", "telegraf.d"),
        ("DETECTVIZ_AUTODEPLOY__VERIFY_TIMEOUT_S", "1"),
        (
            "DETECTVIZ_AUTODEPLOY__PROFILES_DIRECTORY",
            profiles.to_str().unwrap(),
        ),
        (
            "DETECTVIZ_AUTODEPLOY__TELEGRAF_REFERENCE_DIRECTORY",
            reference.to_str().unwrap(),
        ),
    ];
    let server = ServedBinary::start(&config, port, &environment).await;
    let schema_url = format!("{}/api/openapi.json", server.base_url);
    let console_path = regex::Regex::new(CONSOLE_PATHS).unwrap();
    let operations = reqwest::get(&schema_url)
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap()["paths"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(path, _)| !console_path.is_match(path))
        .map(|(_, item)| item.as_object().unwrap().len())
        .sum::<usize>();

    // Revoking its own token would turn every later call into a 401, so that one operation
    // runs last, on its own.
    let revoke = "delete_api_tokens__id";
    let mut outputs = Vec::new();
    for filter in [
        ["--exclude-operation-id", revoke],
        ["--include-operation-id", revoke],
    ] {
        let run = tokio::process::Command::new(schemathesis())
            .args(["run", &schema_url])
            .args(["--header", &format!("Authorization: Bearer {token}")])
            .args(["--checks", "not_a_server_error"])
            // The console's HTML pages and its never-ending event stream are not REST calls.
            .args(["--exclude-path-regex", CONSOLE_PATHS])
            .args(["--phases", "examples,coverage,fuzzing"])
            .args([
                "--max-examples",
                "30",
                "--workers",
                "2",
                "--seed",
                "20261125",
            ])
            .args(["--request-timeout", "20"])
            .args(filter)
            .env("NO_COLOR", "1")
            // Its crash cache goes to the temporary directory, not the source tree.
            .current_dir(directory.path())
            .output()
            .await
            .expect("schemathesis runs");
        let output = String::from_utf8_lossy(&run.stdout).into_owned()
            + &String::from_utf8_lossy(&run.stderr);
        assert!(
            run.status.success(),
            "schemathesis found failures:\n{output}\n--- server log ---\n{}",
            server.logs()
        );
        outputs.push(output);
    }
    let tested: usize = outputs
        .iter()
        .map(|output| count_after(output, "Tested: "))
        .sum();
    assert!(
        tested + 1 >= operations && tested > 30,
        "schemathesis exercised {tested} of the {operations} operations:\n{}",
        outputs.join("\n")
    );
    assert!(
        !outputs[0].contains("Authentication failed"),
        "the admin token must stay valid during the run:\n{}",
        outputs[0]
    );
    server.stop();
}

/// The number printed after `label` in schemathesis' summary.
fn count_after(output: &str, label: &str) -> usize {
    output
        .split(label)
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|number| number.parse().ok())
        .unwrap_or_else(|| panic!("no {label:?} in schemathesis' output:\n{output}"))
}
