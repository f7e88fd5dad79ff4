//! The closed loop in one process: a Telegraf write crosses a rule threshold, the transition
//! goes out on the bus, the notifier posts an Alertmanager v4 body to a webhook, and the
//! automation executor runs a repair script with the alert's data.

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use tower::ServiceExt;

/// A webhook receiver that keeps every body it gets.
async fn start_webhook_peer() -> (String, Arc<Mutex<Vec<serde_json::Value>>>) {
    let received: Arc<Mutex<Vec<serde_json::Value>>> = Arc::default();
    let kept = received.clone();
    let router = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: String| {
            let kept = kept.clone();
            async move {
                kept.lock()
                    .unwrap()
                    .push(serde_json::from_str(&body).unwrap_or_default());
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    (format!("http://{address}/hook"), received)
}

#[tokio::test]
async fn a_write_over_threshold_notifies_a_webhook_and_runs_a_repair_script() {
    let directory = tempfile::tempdir().unwrap();
    let (hook_url, received) = start_webhook_peer().await;
    let scripts = directory.path().join("scripts");
    std::fs::create_dir(&scripts).unwrap();
    let marker = directory.path().join("repaired.txt");
    let script = scripts.join("repair.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho \"$DV_ALERT_LABEL_DEVICE $1\" > {}\n",
            marker.display()
        ),
    )
    .unwrap();
    std::os::unix::fs::PermissionsExt::set_mode(
        &mut std::fs::metadata(&script).unwrap().permissions(),
        0o755,
    );
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let rules = directory.path().join("rules.toml");
    std::fs::write(
        &rules,
        "[[rules]]\nid = \"pump-pressure\"\nname = \"PumpPressureHigh\"\nselector = { measurement = \"modbus\", field = \"pressure_bar\" }\n[[rules.levels]]\nseverity = \"critical\"\ncondition = { op = \">\", value = 8 }\n",
    )
    .unwrap();
    let config_text = format!(
        r#"
[alert]
rules_files = ["{rules}"]

[notifier]
tick_ms = 50
[notifier.route]
receiver = "oncall"
group_by = ["alertname"]
group_wait_s = 0
[[notifier.receivers]]
name = "oncall"
channels = ["ops"]
[[notifier.channels]]
type = "webhook"
name = "ops"
url = "{hook_url}"

[automation]
enabled = true
[[automation.rules]]
id = "repair"
name = "Repair the pump"
trigger = {{ matchers = [{{ name = "alertname", op = "=", value = "PumpPressureHigh" }}], min_severity = "warning", on = "firing" }}
action = {{ type = "shell", name = "repair", scripts_dir = "{scripts}", script = "repair.sh", args = ["{{{{severity}}}}"] }}
"#,
        rules = rules.display(),
        scripts = scripts.display(),
    );
    let config = viot_web::config::load_config_text("closed-loop.conf", &config_text, &[]).unwrap();
    let state = support::test_state(directory.path(), config).await;
    let token = support::token_for(&state.store, "telegraf", &["write"]).await;
    let write = Request::post("/api/v2/write")
        .header("authorization", format!("Token {token}"))
        .body(Body::from("modbus,device=pump-7 pressure_bar=9.4\n"))
        .unwrap();
    assert_eq!(
        viot_web::app(state.clone())
            .oneshot(write)
            .await
            .unwrap()
            .status(),
        StatusCode::NO_CONTENT
    );

    let deadline = Instant::now() + Duration::from_secs(20);
    while (received.lock().unwrap().is_empty() || !marker.exists()) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let bodies = received.lock().unwrap().clone();
    assert_eq!(bodies.len(), 1, "one notification: {bodies:?}");
    assert_eq!(bodies[0]["version"], "4");
    assert_eq!(bodies[0]["status"], "firing");
    assert_eq!(bodies[0]["alerts"][0]["labels"]["device"], "pump-7");
    let repaired = std::fs::read_to_string(&marker).expect("the repair script ran");
    assert_eq!(repaired.trim(), "pump-7 critical");
}
