//! Telegraf-shaped writes over HTTP: InfluxDB 1.x and 2.x line protocol (plain and gzip),
//! Telegraf JSON, partial writes, credentials in each of Telegraf's forms, and a point that
//! crosses a rule threshold turning into a transition on `dv:alerts`.

mod support;

use std::io::Write;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::Engine;
use http_body_util::BodyExt;
use tower::ServiceExt;
use viot_web::app;
use viot_web::config::Config;

async fn json_body(response: axum::response::Response) -> serde_json::Value {
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null)
}

fn gzip(text: &str) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(text.as_bytes()).unwrap();
    encoder.finish().unwrap()
}

const TWO_LINES: &str = "cpu,host=plc-1 usage=12.5,count=3i 1732500000000000000\nmem,host=plc-1 used=1024i 1732500000000000000\n";

#[tokio::test]
async fn line_protocol_is_accepted_on_both_endpoints_with_each_credential_form() {
    let directory = tempfile::tempdir().unwrap();
    let state = support::test_state(directory.path(), Config::default()).await;
    let token = support::token_for(&state.store, "telegraf", &["write"]).await;
    let router = app(state.clone());

    let v2 = Request::post("/api/v2/write?org=site&bucket=telegraf&precision=ns")
        .header("authorization", format!("Token {token}"))
        .header("content-encoding", "gzip")
        .body(Body::from(gzip(TWO_LINES)))
        .unwrap();
    assert_eq!(
        router.clone().oneshot(v2).await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        state.ingest.window.series_count(),
        3,
        "usage, count and used are three series"
    );

    let v1_query = Request::post(format!("/write?db=telegraf&u=telegraf&p={token}"))
        .body(Body::from("disk,host=plc-2 free=1.5 1732500000\n"))
        .unwrap();
    let response = router.clone().oneshot(v1_query).await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);

    let basic = base64::engine::general_purpose::STANDARD.encode(format!("telegraf:{token}"));
    let v1_basic = Request::post("/write?db=telegraf&precision=s")
        .header("authorization", format!("Basic {basic}"))
        .body(Body::from("disk,host=plc-3 free=2.5 1732500000\n"))
        .unwrap();
    assert_eq!(
        router.clone().oneshot(v1_basic).await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(state.ingest.window.series_count(), 5);

    let anonymous = Request::post("/api/v2/write")
        .body(Body::from(TWO_LINES))
        .unwrap();
    assert_eq!(
        router.clone().oneshot(anonymous).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    let read_token = support::token_for(&state.store, "grafana", &["read"]).await;
    let read_only = Request::post("/api/v2/write")
        .header("authorization", format!("Token {read_token}"))
        .body(Body::from(TWO_LINES))
        .unwrap();
    assert_eq!(
        router.oneshot(read_only).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn a_batch_with_a_bad_line_keeps_the_good_lines_and_names_the_bad_one() {
    let directory = tempfile::tempdir().unwrap();
    let state = support::test_state(directory.path(), Config::default()).await;
    let token = support::token_for(&state.store, "telegraf", &["write"]).await;
    let body = "a,host=x v=1 1\nb,host=x v=oops 1\nc,host=x v=3 1\n";
    let request = Request::post("/api/v2/write?precision=s")
        .header("authorization", format!("Token {token}"))
        .body(Body::from(body))
        .unwrap();
    let response = app(state.clone()).oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let error = json_body(response).await;
    assert_eq!(error["line"], 2);
    assert_eq!(error["accepted"], 2);
    assert!(
        error["error"].as_str().unwrap().contains("line 2"),
        "{error}"
    );
    assert_eq!(
        state.ingest.window.series_count(),
        2,
        "lines 1 and 3 are kept"
    );
}

#[tokio::test]
async fn telegraf_json_batches_are_accepted_and_a_gzip_bomb_is_413() {
    let directory = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.ingest.max_decompressed_bytes = 1024;
    let state = support::test_state(directory.path(), config).await;
    let token = support::token_for(&state.store, "telegraf", &["write"]).await;
    let router = app(state.clone());
    let body = r#"{"metrics":[{"name":"modbus","tags":{"device":"pump-1"},"fields":{"pressure_bar":4.2},"timestamp":1732500000}]}"#;
    let request = Request::post("/api/v1/telegraf?timestamp_units=1s")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::from(body))
        .unwrap();
    assert_eq!(
        router.clone().oneshot(request).await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(state.ingest.window.series_count(), 1);

    let bomb = gzip(&"x".repeat(100_000));
    let request = Request::post("/api/v2/write")
        .header("authorization", format!("Token {token}"))
        .header("content-encoding", "gzip")
        .body(Body::from(bomb))
        .unwrap();
    assert_eq!(
        router.oneshot(request).await.unwrap().status(),
        StatusCode::PAYLOAD_TOO_LARGE
    );
}

#[tokio::test]
async fn a_point_over_a_rule_threshold_becomes_a_firing_event_on_the_bus() {
    let directory = tempfile::tempdir().unwrap();
    let rules_path = directory.path().join("rules.toml");
    std::fs::write(
        &rules_path,
        r#"
[[rules]]
id = "boiler-hot"
name = "BoilerHot"
selector = { measurement = "modbus", field = "temp_c" }
[[rules.levels]]
severity = "critical"
condition = { op = ">", value = 90 }
"#,
    )
    .unwrap();
    let mut config = Config::default();
    config.alert.rules_files = vec![rules_path.display().to_string()];
    let state = support::test_state(directory.path(), config).await;
    let token = support::token_for(&state.store, "telegraf", &["write"]).await;
    let request = Request::post("/api/v2/write")
        .header("authorization", format!("Token {token}"))
        .body(Body::from("modbus,device=boiler-1 temp_c=93.5\n"))
        .unwrap();
    assert_eq!(
        app(state.clone()).oneshot(request).await.unwrap().status(),
        StatusCode::NO_CONTENT
    );

    let deadline = Instant::now() + Duration::from_secs(10);
    let start: eventbus::EntryId = "0-0".parse().unwrap();
    loop {
        let entries = state
            .bus
            .replay("dv:alerts", eventbus::ReplayFrom::Id(start), 10)
            .await
            .unwrap();
        if let Some(entry) = entries.first() {
            let event = detectviz::Event::from_json(&entry.payload).unwrap();
            assert_eq!(event.event_type, "io.detectviz.alert.firing");
            assert_eq!(event.data["labels"]["device"], "boiler-1");
            assert_eq!(event.data["severity"], "critical");
            break;
        }
        assert!(Instant::now() < deadline, "no transition reached dv:alerts");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
