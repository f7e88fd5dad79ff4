//! The console in a real browser: Debian's chromium driven by playwright-core
//! (`web/tests/console.test.mjs`) against this app served on a spare port. Logs in, sees an
//! alert written as line protocol arrive live, acknowledges it, gets a validation error in the
//! rule table and in the automation rule table, creates an automation rule, edits a contact
//! group, sees the notifier routes, switches language both ways; screenshots go to
//! target/console-screenshots.

mod support;

use std::path::PathBuf;
use std::time::Duration;

fn repository_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// What the table-config tabs show: a config automation rule (read-only) and a notifier route
/// tree. Actions stay off; the webhooks point at a closed local port.
const TABLE_CONFIG_SECTIONS: &str = r#"
[automation]
enabled = false
[[automation.rules]]
id = "from-config"
name = "A rule of the config file"
trigger = { min_severity = "critical" }
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
    let config_text = format!(
        "[console]\nweb_dir = \"{web}\"\npages_file = \"{pages}\"\ngrafana_url = \"http://grafana.example:3000/d/plant\"\n{TABLE_CONFIG_SECTIONS}",
        web = root.join("web").display(),
        pages = root.join("conf/pages.yaml").display(),
    );
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
    let write_token = support::token_for(&state.store, "telegraf", &["write"]).await;
    let admin_token = support::token_for(&state.store, "setup", &["admin"]).await;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let app = viot_web::app(state.clone());
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap();
    });
    let base_url = format!("http://{address}");
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
        .env("DV_SCREENSHOTS", &screenshots)
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
}
