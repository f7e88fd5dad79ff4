//! Scans over HTTP and on the command line, against a real snmpd: an operator starts a scan
//! (202, runs in the background), the scan finishes with the device recorded, viewers list
//! scans and devices, the community never comes back, and bad targets are a 400 naming the
//! entry. `detectviz scan --dry-run --json` prints the same inventory and records nothing.

#[path = "../../../crates/autodeploy/tests/peers/mod.rs"]
mod peers;
mod support;

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;
use viot_web::app;
use viot_web::config::Config;

async fn json_body(response: axum::response::Response) -> serde_json::Value {
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_scan_and_viewers_see_scans_and_devices() {
    let agent = peers::SnmpAgent::start().await;
    let directory = tempfile::tempdir().unwrap();
    let state = support::test_state(directory.path(), Config::default()).await;
    let (cookie, csrf) = support::session_for(&state.store, "olga", "operator").await;
    let (viewer_cookie, _) = support::session_for(&state.store, "vic", "viewer").await;
    let router = app(state);
    let request = |method: &str, uri: &str, cookie: &str, body: String| {
        Request::builder()
            .method(method)
            .uri(uri)
            .header("cookie", cookie)
            .header("x-csrf-token", &csrf)
            .header("content-type", "application/json")
            .body(Body::from(body))
            .unwrap()
    };
    let body = serde_json::json!({
        "targets": ["127.0.0.1"],
        "settings": {"snmp": {"port": agent.port, "timeout_ms": 300, "retries": 0,
            "credentials": [{"version": "v2c", "community": peers::COMMUNITY}]}},
    })
    .to_string();
    let response = router
        .clone()
        .oneshot(request("POST", "/api/scans", &cookie, body))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let started = json_body(response).await;
    assert_eq!(started["requested_by"], "olga");
    assert_eq!(started["hosts_total"], 1);
    let scan_id = started["id"].as_str().unwrap().to_string();

    let deadline = Instant::now() + Duration::from_secs(20);
    let finished = loop {
        let response = router
            .clone()
            .oneshot(request(
                "GET",
                &format!("/api/scans/{scan_id}"),
                &viewer_cookie,
                String::new(),
            ))
            .await
            .unwrap();
        let scan = json_body(response).await;
        if scan["status"] != "running" {
            break scan;
        }
        assert!(Instant::now() < deadline, "the scan did not finish: {scan}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(finished["status"], "finished", "{finished}");
    assert_eq!(
        (
            finished["hosts_answered"].as_u64(),
            finished["new_devices"].as_u64()
        ),
        (Some(1), Some(1))
    );

    let response = router
        .clone()
        .oneshot(request(
            "GET",
            "/api/devices",
            &viewer_cookie,
            String::new(),
        ))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let devices = json_body(response).await;
    assert_eq!(devices[0]["name"], peers::SYS_NAME);
    assert_eq!(devices[0]["inventory"]["sys_location"], peers::SYS_LOCATION);
    assert!(
        !devices.to_string().contains(peers::COMMUNITY),
        "the community never comes back"
    );
    let response = router
        .clone()
        .oneshot(request("GET", "/api/scans", &viewer_cookie, String::new()))
        .await
        .unwrap();
    assert_eq!(json_body(response).await.as_array().map(Vec::len), Some(1));

    let bad = serde_json::json!({"targets": ["10.0.0.0/24", "10.0.0.300"]}).to_string();
    let response = router
        .clone()
        .oneshot(request("POST", "/api/scans", &cookie, bad))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(json_body(response).await.to_string().contains("10.0.0.300"));
}

#[tokio::test]
async fn the_cli_dry_run_prints_the_inventory_as_json() {
    let agent = peers::SnmpAgent::start().await;
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_detectviz"))
        .args([
            "scan",
            "--cidr",
            "127.0.0.1",
            "--snmp-community",
            peers::COMMUNITY,
        ])
        .args([
            "--snmp-port",
            &agent.port.to_string(),
            "--timeout-ms",
            "300",
            "--dry-run",
            "--json",
        ])
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let document: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let device = &document["report"]["hosts"][0]["devices"][0];
    assert_eq!(device["sys_name"], peers::SYS_NAME);
    assert_eq!(document["changes"], serde_json::json!([]));
    assert!(
        stderr.contains("1/1 hosts, 1 device(s)"),
        "progress bar: {stderr}"
    );

    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_detectviz"))
        .args(["scan", "--cidr", "10.0.0.0/33", "--dry-run"])
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("`10.0.0.0/33`"));
}
