//! The console in a real browser: Debian's chromium driven by playwright-core
//! (`web/tests/console.test.mjs`) against this app served on a spare port. Logs in, sees an
//! alert written as line protocol arrive live, acknowledges it, gets a validation error in the
//! rule table and in the automation rule table, creates an automation rule, edits a contact
//! group, sees the notifier routes, switches language both ways, signs in and out through a real OpenID provider
//! (npm `oidc-provider`); screenshots go to target/console-screenshots.
//! Operations pages (`web/tests/console-operations.mjs`): the task runner streams a script's
//! output live and cancels a run, a network scan fills its progress bar, the device grid
//! colours devices by state and opens one with its chart, alerts and Telegraf file, and the
//! log viewer filters Detectviz's own logs and follows new ones.

mod support;

use std::path::PathBuf;
use std::time::Duration;

use support::oidc_peer::{CLIENT_ID, CLIENT_SECRET, OidcPeer};

fn repository_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// What the table-config tabs show: a config automation rule (read-only) and a notifier route
/// tree. The config rule matches only an alert named Never; the webhooks point at a closed
/// local port.
const TABLE_CONFIG_SECTIONS: &str = r#"
[[automation.rules]]
id = "from-config"
name = "A rule of the config file"
trigger = { matchers = [{ name = "alertname", op = "=", value = "Never" }] }
action = { type = "webhook", name = "mes", url = "http://127.0.0.1:9/config" }

[notifier.route]
receiver = "oncall"
group_by = ["alertname"]
[[notifier.route.routes]]
matchers = [{ name = "severity", op = "=", value = "critical" }]
receiver = "pager"
continue = true
[[notifier.receivers]]
name = "oncall"
channels = ["ops-webhook"]
[[notifier.receivers]]
name = "pager"
channels = ["ops-webhook"]
[[notifier.channels]]
type = "webhook"
name = "ops-webhook"
url = "http://127.0.0.1:9/hook"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_sees_an_alert_live_acknowledges_it_and_edits_rules_in_both_languages() {
    let root = repository_root().canonicalize().unwrap();
    assert!(
        root.join("web/static/libs/htmx/htmx.min.js").exists()
            && root.join("web/node_modules/playwright-core").exists(),
        "the console's npm packages are missing: run scripts/install-test-deps.sh"
    );
    let directory = tempfile::tempdir().unwrap();
    let operations = OperationsFixture::create(directory.path());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let base_url = format!("http://{address}");
    // A real OpenID provider, for the "Sign in with Keycloak" step.
    let provider = OidcPeer::start(&base_url, 3600);
    let key_file = directory.path().join("secret.key");
    std::fs::write(&key_file, "cd".repeat(32)).unwrap();
    let config_text = format!(
        "[console]\nweb_dir = \"{web}\"\npages_file = \"{pages}\"\ngrafana_url = \"http://grafana.example:3000/d/plant\"\ntelegraf_directory = \"{telegraf}\"\n\
         [secrets]\nkey_file = \"{key}\"\n\
         [auth.oidc]\nenabled = true\nissuer_url = \"{issuer}\"\nclient_id = \"{CLIENT_ID}\"\nclient_secret = \"{CLIENT_SECRET}\"\npublic_url = \"{base_url}\"\n{automation}{TABLE_CONFIG_SECTIONS}",
        web = root.join("web").display(),
        pages = root.join("conf/pages.yaml").display(),
        telegraf = operations.telegraf_directory.display(),
        key = key_file.display(),
        issuer = provider.issuer,
        automation = operations.automation_config,
    );
    let config_text = format!("{config_text}{}", file_editor_roots(directory.path()));
    // The log viewer reads the ring the subscriber fills, as in `detectviz serve`.
    viot_web::telemetry::init_logging(&viot_web::config::LogConfig {
        level: "info".into(),
        ..Default::default()
    });
    let config = viot_web::config::load_config_text("console.conf", &config_text, &[]).unwrap();
    let state = support::test_state(directory.path(), config).await;
    let password = "correct horse battery staple";
    state
        .store
        .users()
        .create(&store::NewUser {
            username: "operator-amy".into(),
            display_name: "Amy".into(),
            password_hash: viot_web::auth::secrets::hash_password(password).unwrap(),
            role: "admin".into(),
            active: true,
        })
        .await
        .unwrap();
    operations.add_devices(&state.store).await;
    let write_token = support::token_for(&state.store, "telegraf", &["write"]).await;
    let admin_token = support::token_for(&state.store, "setup", &["admin"]).await;

    let app = viot_web::app(state.clone());
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap();
    });
    let rule = r#"{"id": "pump-temperature", "name": "PumpTemperatureHigh",
        "selector": {"measurement": "pump", "field": "temperature_c"},
        "levels": [{"severity": "critical", "condition": {"op": ">", "value": 90}}],
        "annotations": {"summary": "Pump bearing temperature above 90 °C"}}"#;
    let created = reqwest::Client::new()
        .post(format!("{base_url}/api/rules"))
        .bearer_auth(&admin_token)
        .header("content-type", "application/json")
        .body(rule)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201, "{}", created.text().await.unwrap());
    let automation_rule = r#"{"id": "open-work-order", "name": "Open a work order",
        "trigger": {"min_severity": "critical"},
        "action": {"type": "webhook", "name": "mes", "url": "http://127.0.0.1:9/orders"}}"#;
    let created = reqwest::Client::new()
        .post(format!("{base_url}/api/automation/rules"))
        .bearer_auth(&admin_token)
        .header("content-type", "application/json")
        .body(automation_rule)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201, "{}", created.text().await.unwrap());

    let screenshots = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join("target"))
        .join("console-screenshots");
    let browser_test = tokio::process::Command::new("node")
        .arg(root.join("web/tests/console.test.mjs"))
        .env("DV_BASE_URL", &base_url)
        .env("DV_USERNAME", "operator-amy")
        .env("DV_PASSWORD", password)
        .env("DV_WRITE_TOKEN", &write_token)
        .env("DV_OIDC_LOGIN", "oscar")
        .env("DV_SCREENSHOTS", &screenshots)
        .env("DV_RELEASE_FILE", &operations.release_file)
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(240), browser_test)
        .await
        .expect("the browser test finishes within 4 minutes")
        .expect("node runs");
    server.abort();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "browser test failed\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
    assert!(stdout.contains("console browser test: ok"), "{stdout}");
    check_file_editor_saves(directory.path(), &state.store).await;
}

/// `[files]` for the file and CSV editors: `conf/` (a TOML and a YAML file) and the
/// health-check targets CSV, all in the test's directory.
fn file_editor_roots(directory: &std::path::Path) -> String {
    let conf = directory.join("conf");
    std::fs::create_dir_all(&conf).unwrap();
    std::fs::write(
        conf.join("site.toml"),
        "# Plant north\n[site]\nname = \"north\"\npumps = 7\n",
    )
    .unwrap();
    std::fs::write(conf.join("labels.yaml"), "line: A\nshift: night\n").unwrap();
    std::fs::write(
        conf.join("healthcheck_targets.csv"),
        autodeploy::healthcheck::HEALTHCHECK_SAMPLE_CSV,
    )
    .unwrap();
    format!(
        "[files]\n[[files.roots]]\nname = \"conf\"\npath = \"{conf}\"\nkinds = [\"yaml\", \"toml\"]\n\
         [[files.roots]]\nname = \"healthcheck\"\npath = \"{csv}\"\nkinds = [\"csv\"]\n\
         csv_schema = \"healthcheck_targets\"\n",
        conf = conf.display(),
        csv = conf.join("healthcheck_targets.csv").display(),
    )
}

/// What the browser saved is on disk, with versions in the store; the refused TOML is not;
/// the restored version is back.
async fn check_file_editor_saves(directory: &std::path::Path, store: &store::Store) {
    let csv = std::fs::read_to_string(directory.join("conf/healthcheck_targets.csv")).unwrap();
    assert!(csv.starts_with("# Sample health-check targets"), "{csv}");
    assert!(csv.contains("plc-gateway,tcp://10.0.0.5:502,,,3"), "{csv}");
    assert!(!csv.contains("api-login"), "the removed row is gone: {csv}");
    autodeploy::parse_healthcheck_csv(&csv).unwrap();
    let versions = store
        .file_snapshots()
        .list("healthcheck", "healthcheck_targets.csv", 10)
        .await
        .unwrap();
    assert_eq!(
        versions.len(),
        2,
        "the sample as found on disk, then the save"
    );
    let site = std::fs::read_to_string(directory.join("conf/site.toml")).unwrap();
    assert!(
        site.contains("pumps = 7"),
        "restored to the version found on disk: {site}"
    );
    let site_versions = store
        .file_snapshots()
        .list("conf", "site.toml", 10)
        .await
        .unwrap();
    let contents: Vec<&str> = site_versions
        .iter()
        .map(|version| version.content.as_str())
        .collect();
    assert_eq!(
        contents.len(),
        3,
        "on disk, the save, the restore: {contents:?}"
    );
    assert!(contents[1].contains("pumps = 8"), "{contents:?}");
    assert!(
        contents.iter().all(|content| !content.contains("= =")),
        "the invalid TOML was never saved: {contents:?}"
    );
}

/// What the operations pages need: scripts for the task runner, a telegraf.d with one
/// deployed device file, and devices in the store.
struct OperationsFixture {
    telegraf_directory: PathBuf,
    release_file: PathBuf,
    automation_config: String,
}

impl OperationsFixture {
    fn create(directory: &std::path::Path) -> OperationsFixture {
        use std::os::unix::fs::PermissionsExt;
        let scripts = directory.join("scripts");
        let telegraf_directory = directory.join("telegraf.d");
        std::fs::create_dir_all(&scripts).unwrap();
        std::fs::create_dir_all(&telegraf_directory).unwrap();
        let release_file = directory.join("release");
        // Prints a line, then waits until the browser test creates the release file: the
        // first line can only be on screen because it was streamed while the run went on.
        let report = format!(
            "#!/bin/sh\necho \"started for $DV_PARAM_LINE\"\nwhile [ ! -f {release} ]; do sleep 0.1; done\necho \"finished: $1\"\n",
            release = release_file.display()
        );
        for (name, text) in [
            ("report.sh", report.as_str()),
            (
                "hang.sh",
                "#!/bin/sh\necho waiting to be cancelled\nsleep 300\n",
            ),
        ] {
            let path = scripts.join(name);
            std::fs::write(&path, text).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        std::fs::write(
            telegraf_directory.join(autodeploy::device_file_name("pump-7")),
            "# Written by Detectviz\n[[inputs.modbus]]\n  name = \"pump-7\"\n  controller = \"tcp://10.0.0.7:502\"\n",
        )
        .unwrap();
        let automation_config = format!(
            r#"[automation]
enabled = true
[[automation.rules]]
id = "report"
name = "Report a line"
parameters = {{ line = "{{{{labels.line}}}}" }}
trigger = {{ matchers = [{{ name = "alertname", op = "=", value = "Never" }}] }}
action = {{ type = "shell", name = "report", scripts_dir = "{scripts}", script = "report.sh", args = ["{{{{parameters.line}}}}"] }}

[[automation.rules]]
id = "hang"
name = "Wait to be cancelled"
trigger = {{ matchers = [{{ name = "alertname", op = "=", value = "Never" }}] }}
action = {{ type = "shell", name = "hang", scripts_dir = "{scripts}", script = "hang.sh" }}
timeout_s = 600
"#,
            scripts = scripts.display()
        );
        OperationsFixture {
            telegraf_directory,
            release_file,
            automation_config,
        }
    }

    /// pump-7 (alerting once the browser test writes a hot value), plc-2 (up) and
    /// switch-9 (missed by the last scan: down).
    async fn add_devices(&self, store: &store::Store) {
        for (id, address, name) in [
            ("pump-7", "10.0.0.7", "pump-7"),
            ("plc-2", "10.0.0.2", "plc-2"),
            ("switch-9", "10.0.0.9", "switch-9"),
        ] {
            store
                .devices()
                .record_seen(&store::DeviceObservation {
                    id: id.into(),
                    protocol: if id == "switch-9" { "snmp" } else { "modbus" }.into(),
                    address: address.into(),
                    port: if id == "switch-9" { 161 } else { 502 },
                    name: name.into(),
                    sys_object_id: String::new(),
                    inventory: "{}".into(),
                    fingerprint: format!("{id}-1"),
                    scan_id: "fixture".into(),
                })
                .await
                .unwrap();
        }
        store
            .devices()
            .record_missed("switch-9", "fixture-2", 1)
            .await
            .unwrap();
    }
}
