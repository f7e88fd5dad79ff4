//! The autodeploy flow over HTTP against real peers: scan a subnet of simulated SNMP agents
//! (snmpsim, three on 127.0.4.1-3), validate a device field by field, set health-check targets (a bad CSV is refused by row and
//! column), dry-run (diff, nothing written), deploy (files in telegraf.d pass validation, a
//! stand-in Telegraf gets SIGHUP, metrics arriving at ingest verify the deploy), list and
//! read snapshots, diff, and roll back (the previous files return, another SIGHUP). When
//! metrics never arrive the deploy rolls itself back with an audit entry and an event.

#[path = "support/autodeploy_setup.rs"]
mod autodeploy_setup;
#[path = "../../../crates/autodeploy/tests/peers/mod.rs"]
mod peers;
mod support;

use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

use autodeploy_setup::{autodeploy_config, shared_directory, telegraf_files};
use viot_web::app;

/// A hang guard for the polling loops, not a timing assertion.
const HANG_GUARD: Duration = Duration::from_secs(60);

/// A signed-in user of one role talking to the in-process app.
struct Client {
    router: Router,
    cookie: String,
    csrf: String,
}

impl Client {
    async fn call(
        &self,
        method: &str,
        uri: &str,
        body: serde_json::Value,
    ) -> (StatusCode, serde_json::Value) {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .header("cookie", &self.cookie)
            .header("x-csrf-token", &self.csrf)
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        )
    }
}

async fn client(state: &viot_web::AppState, router: &Router, name: &str, role: &str) -> Client {
    let (cookie, csrf) = support::session_for(&state.store, name, role).await;
    Client {
        router: router.clone(),
        cookie,
        csrf,
    }
}

/// Scans `target` on `port` with one v2c community and returns the ids of the devices found.
async fn scan(operator: &Client, target: &str, port: u16, community: &str) -> Vec<String> {
    let (status, started) = operator
        .call(
            "POST",
            "/api/scans",
            serde_json::json!({
                "targets": [target],
                "settings": {"snmp": {"port": port, "timeout_ms": 500, "retries": 1,
                    "credentials": [{"name": "site-v2c", "version": "v2c", "community": community}]}},
            }),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{started}");
    let scan_uri = format!("/api/scans/{}", started["id"].as_str().unwrap());
    let deadline = Instant::now() + HANG_GUARD;
    loop {
        let (_, scan) = operator
            .call("GET", &scan_uri, serde_json::Value::Null)
            .await;
        if scan["status"] == "finished" {
            break;
        }
        assert!(
            scan["status"] == "running" && Instant::now() < deadline,
            "{scan}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (_, devices) = operator
        .call("GET", "/api/devices", serde_json::Value::Null)
        .await;
    let mut ids: Vec<String> = devices
        .as_array()
        .unwrap()
        .iter()
        .map(|device| device["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

async fn wait_for_audit(admin: &Client, action: &str) -> serde_json::Value {
    let deadline = Instant::now() + HANG_GUARD;
    loop {
        let (_, entries) = admin
            .call(
                "GET",
                &format!("/api/audit?action={action}"),
                serde_json::Value::Null,
            )
            .await;
        if let Some(entry) = entries.as_array().and_then(|entries| entries.first()) {
            return entry.clone();
        }
        assert!(Instant::now() < deadline, "no `{action}` audit entry");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Plays Telegraf's output: one line protocol write tagged like the deployed files.
async fn write_metrics(router: &Router, token: &str, lines: &str) {
    let request = Request::post("/write")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::from(lines.to_string()))
        .unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    assert!(response.status().is_success(), "{}", response.status());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_validate_deploy_verify_snapshot_diff_and_roll_back_over_http() {
    let agent_addresses: Vec<std::net::Ipv4Addr> = (1..=3)
        .map(|host| std::net::Ipv4Addr::new(127, 0, 4, host))
        .collect();
    let subnet = peers::SimulatedSubnet::start(agent_addresses).await;
    let telegraf = peers::HupRecorder::start();
    let directory = tempfile::tempdir().unwrap();
    let root = directory.path();
    let state = support::test_state(root, autodeploy_config(root, &telegraf.pid_file, 60)).await;
    let write_token = support::token_for(&state.store, "telegraf", &["write"]).await;
    let router = app(state.clone());
    let operator = client(&state, &router, "olga", "operator").await;
    let admin = client(&state, &router, "ada", "admin").await;

    let device_ids = scan(
        &operator,
        "127.0.4.0/29",
        subnet.port,
        peers::SIMULATED_COMMUNITY,
    )
    .await;
    assert_eq!(device_ids.len(), 3, "{device_ids:?}");
    let device_id = device_ids[0].clone();
    let credentials = serde_json::json!({"credentials": [
        {"name": "site-v2c", "version": "v2c", "community": peers::SIMULATED_COMMUNITY}]});
    let (status, report) = operator
        .call(
            "POST",
            &format!("/api/devices/{device_id}/validate"),
            credentials,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["passed"], true, "{report}");
    assert_eq!(report["profile"], "net-snmp");
    assert!(report["fields"].as_array().unwrap().len() > 3, "{report}");
    let (status, _) = operator
        .call(
            "POST",
            "/api/deploy",
            serde_json::json!({"devices": [device_id]}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "operators validate, admins deploy"
    );

    let header = "name,url,method,expected_status,timeout_seconds";
    let bad = format!("{header}\nweb,ftp://x,GET,200,5\ndb,127.0.0.1:5432,,,abc\n");
    let (status, refused) = admin
        .call(
            "PUT",
            "/api/healthcheck/targets",
            serde_json::json!({"csv": bad}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let places: Vec<(u64, &str)> = refused["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|problem| {
            (
                problem["row"].as_u64().unwrap(),
                problem["column"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(places, [(2, "url"), (3, "timeout_seconds")]);
    let good = format!(
        "{header}\nweb,http://127.0.0.1:9/healthz,GET,204,2\ndb,tcp://127.0.0.1:5432,,,2\n"
    );
    let (status, targets) = admin
        .call(
            "PUT",
            "/api/healthcheck/targets",
            serde_json::json!({"csv": good}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{targets}");
    let blocks = targets["blocks"].to_string();
    assert!(
        blocks.contains("[[inputs.http_response]]") && blocks.contains("[[inputs.net_response]]")
    );

    let (status, dry) = admin
        .call(
            "POST",
            "/api/deploy",
            serde_json::json!({"dry_run": true, "message": "preview"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{dry}");
    let diff = dry["diff"].as_str().unwrap();
    let device_file = format!("detectviz-device-{device_id}.conf");
    assert!(diff.contains(&format!("+++ b/{device_file}")), "{diff}");
    assert!(
        diff.contains(&format!("+agents = [\"udp://127.0.4.1:{}\"]", subnet.port)),
        "{diff}"
    );
    assert_eq!(
        telegraf_files(root),
        ["outputs.conf"],
        "a dry run writes nothing"
    );
    assert_eq!(telegraf.hups(), 0);

    let (status, deployed) = admin
        .call(
            "POST",
            "/api/deploy",
            serde_json::json!({"message": "first devices"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{deployed}");
    assert_eq!(deployed["verification"]["status"], "pending", "{deployed}");
    let mut expected_files: Vec<String> = device_ids
        .iter()
        .map(|id| format!("detectviz-device-{id}.conf"))
        .collect();
    expected_files.extend(
        [
            "detectviz-healthcheck-db.conf",
            "detectviz-healthcheck-web.conf",
            "outputs.conf",
        ]
        .map(String::from),
    );
    assert_eq!(telegraf_files(root), expected_files);
    let mut reference =
        autodeploy::TelegrafReference::load(&shared_directory()).expect("reference loads");
    reference.set_installed_version(autodeploy::TelegrafVersion::parse("1.32.0"));
    for name in telegraf_files(root) {
        let text = std::fs::read_to_string(root.join("telegraf.d").join(&name)).unwrap();
        let report = autodeploy::validate_telegraf_toml(&name, &text, &reference);
        assert!(report.is_valid(), "{name}: {}", report.summary());
    }
    telegraf.wait_for_hups(1);
    let (status, busy) = admin
        .call("POST", "/api/deploy", serde_json::json!({"dry_run": true}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "one deploy at a time: {busy}");

    let now_ns = chrono::Utc::now().timestamp_nanos_opt().unwrap();
    let mut lines = format!(
        "http_response,healthcheck=web result_code=0i {now_ns}\n\
         net_response,healthcheck=db result_code=0i {now_ns}\n"
    );
    for id in &device_ids {
        lines.push_str(&format!("snmp,device_id={id} uptime=1i {now_ns}\n"));
    }
    write_metrics(&router, &write_token, &lines).await;
    let verified = wait_for_audit(&admin, "deploy.verified").await;
    assert_eq!(
        verified["detail"]["outcome"]["status"], "verified",
        "{verified}"
    );
    let deploy_entry = wait_for_audit(&admin, "deploy").await;
    assert_eq!(deploy_entry["actor"], "ada");
    assert_eq!(deploy_entry["detail"]["message"], "first devices");

    let one_target = format!("{header}\nweb,http://127.0.0.1:9/healthz,GET,204,2\n");
    admin
        .call(
            "PUT",
            "/api/healthcheck/targets",
            serde_json::json!({"csv": one_target}),
        )
        .await;
    let (status, second) = admin
        .call(
            "POST",
            "/api/deploy",
            serde_json::json!({"message": "drop db check"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_eq!(
        second["removed_files"],
        serde_json::json!(["detectviz-healthcheck-db.conf"])
    );
    telegraf.wait_for_hups(2);

    let (_, snapshots) = admin
        .call("GET", "/api/snapshots", serde_json::Value::Null)
        .await;
    let snapshots = snapshots.as_array().unwrap().clone();
    assert_eq!(snapshots.len(), 2, "{snapshots:?}");
    assert_eq!(snapshots[0]["message"], "drop db check", "newest first");
    assert_eq!(snapshots[0]["author"], "ada");
    assert_eq!(
        (
            snapshots[0]["version"].as_u64(),
            snapshots[1]["version"].as_u64()
        ),
        (Some(2), Some(1))
    );
    let before_second = snapshots[0]["id"].as_str().unwrap().to_string();
    let before_first = snapshots[1]["id"].as_str().unwrap().to_string();
    let (_, snapshot) = operator
        .call(
            "GET",
            &format!("/api/snapshots/{before_second}"),
            serde_json::Value::Null,
        )
        .await;
    assert_eq!(snapshot["content_sha256"].as_str().map(str::len), Some(64));
    assert_eq!(
        snapshot["file_contents"].as_array().unwrap().len(),
        expected_files.len()
    );
    let (_, diff) = operator
        .call(
            "GET",
            &format!("/api/snapshots/{before_second}/diff"),
            serde_json::Value::Null,
        )
        .await;
    let diff = diff["diff"].as_str().unwrap();
    assert!(
        diff.contains("--- a/detectviz-healthcheck-db.conf\n+++ /dev/null"),
        "{diff}"
    );
    let (_, diff) = operator
        .call(
            "GET",
            &format!("/api/snapshots/{before_first}/diff?against={before_second}"),
            serde_json::Value::Null,
        )
        .await;
    assert!(
        diff["diff"]
            .as_str()
            .unwrap()
            .contains(&format!("+++ b/{device_file}")),
        "{diff}"
    );

    let (status, rolled) = admin
        .call(
            "POST",
            &format!("/api/snapshots/{before_second}/rollback"),
            serde_json::Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rolled}");
    assert!(telegraf_files(root).contains(&"detectviz-healthcheck-db.conf".to_string()));
    telegraf.wait_for_hups(3);
    let (status, _) = admin
        .call(
            "POST",
            "/api/snapshots/20000101T000000Z/rollback",
            serde_json::Value::Null,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let rollback_entry = wait_for_audit(&admin, "rollback").await;
    assert_eq!(rollback_entry["actor"], "ada");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deploy_whose_metrics_never_arrive_rolls_itself_back_with_an_event() {
    let agent = peers::SnmpAgent::start().await;
    let telegraf = peers::HupRecorder::start();
    let directory = tempfile::tempdir().unwrap();
    let root = directory.path();
    let state = support::test_state(root, autodeploy_config(root, &telegraf.pid_file, 1)).await;
    let router = app(state.clone());
    let operator = client(&state, &router, "olga", "operator").await;
    let admin = client(&state, &router, "ada", "admin").await;
    let device_id = scan(&operator, "127.0.0.1", agent.port, peers::COMMUNITY)
        .await
        .remove(0);

    let (status, deployed) = admin
        .call(
            "POST",
            "/api/deploy",
            serde_json::json!({"devices": [device_id], "message": "silent"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{deployed}");
    assert_eq!(deployed["verification"]["status"], "pending");
    let rolled_back = wait_for_audit(&admin, "deploy.auto_rollback").await;
    let outcome = &rolled_back["detail"]["outcome"];
    assert_eq!(outcome["status"], "rolled_back", "{rolled_back}");
    assert_eq!(outcome["missing"][0]["value"], device_id.as_str());
    assert_eq!(
        telegraf_files(root),
        ["outputs.conf"],
        "the device file is gone again"
    );
    telegraf.wait_for_hups(2);

    // The event is published before the audit entry is written.
    let events: Vec<String> = state
        .bus
        .replay(
            autodeploy::scan::DEPLOY_STREAM,
            eventbus::ReplayFrom::Id(eventbus::EntryId::ZERO),
            1000,
        )
        .await
        .unwrap()
        .iter()
        .map(|entry| entry.event().unwrap().event_type)
        .collect();
    assert!(
        events.contains(&"io.detectviz.deploy.applied".to_string())
            && events.contains(&"io.detectviz.deploy.rolled_back".to_string()),
        "{events:?}"
    );
}
