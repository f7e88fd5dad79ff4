//! `[analyzer]` end to end with the REAL anomaly service: points written through
//! `/api/v2/write` are scored by a model rule, `/api/analyzer` shows it `ok`; with the service
//! stopped the model rule turns `unknown` with the reason, `/api/health` says the analyzer is
//! degraded, and a threshold rule written to at the same time still fires.

mod support;

use std::time::{Duration, Instant};

use alert::runner::ALERTS_STREAM;
use analyzer::testing::AnomalyService;
use analyzer::{ANOMALY_STREAM, AnalyzerConfig};
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;
use viot_web::app;
use viot_web::config::Config;

const RULES: &str = r#"
[[rules]]
id = "pump-model"
name = "PumpAnomaly"
selector = { measurement = "modbus", field = "vibration" }
kind = { type = "model", method = "robust_z", points = 60 }
[[rules.levels]]
severity = "warning"
condition = { op = ">", value = 0.9 }

[[rules]]
id = "boiler-hot"
name = "BoilerHot"
selector = { measurement = "modbus", field = "temp_c" }
[[rules.levels]]
severity = "critical"
condition = { op = ">", value = 90 }
"#;

async fn get_json(router: &Router, uri: &str, cookie: &str) -> (StatusCode, serde_json::Value) {
    let request = Request::get(uri)
        .header("cookie", cookie)
        .body(Body::empty())
        .unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or_default())
}

async fn write(router: &Router, token: &str, body: String) {
    let request = Request::post("/api/v2/write?precision=ms")
        .header("authorization", format!("Token {token}"))
        .body(Body::from(body))
        .unwrap();
    let status = router.clone().oneshot(request).await.unwrap().status();
    assert_eq!(status, StatusCode::NO_CONTENT);
}

/// Polls `/api/analyzer` until the model rule is in `state`; the deadline only stops a hang.
async fn wait_for_rule_state(router: &Router, cookie: &str, state: &str) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, status) = get_json(router, "/api/analyzer", cookie).await;
        if status["rules"][0]["state"] == state {
            return status;
        }
        assert!(Instant::now() < deadline, "never {state}: {status}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn stream_types(bus: &eventbus::EventBus, stream: &str) -> Vec<String> {
    let entries = bus
        .replay(
            stream,
            eventbus::ReplayFrom::Id("0-0".parse().unwrap()),
            1_000,
        )
        .await
        .unwrap();
    entries
        .iter()
        .map(|entry| {
            let event = detectviz::Event::from_json(&entry.payload).unwrap();
            format!("{} {}", event.event_type, event.data)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn model_rules_go_unknown_and_health_degraded_while_threshold_rules_keep_firing() {
    let mut service = AnomalyService::start();
    let directory = tempfile::tempdir().unwrap();
    let analyzer_config = AnalyzerConfig {
        enabled: true,
        url: service.url(),
        interval_s: 1,
        max_attempts: 1,
        breaker_failures: 1,
        breaker_open_ms: 1_000,
        ..AnalyzerConfig::default()
    };
    let config = Config {
        analyzer: analyzer_config,
        ..Config::default()
    };
    let mut state = support::test_state(directory.path(), config.clone()).await;
    state
        .alerts
        .set_rules(alert::parse_rules_toml(RULES).unwrap());
    let shutdown = eventbus::CancellationToken::new();
    state.analyzer = viot_web::model_rules::start_model_rules(
        &config.analyzer,
        &state.bus,
        &state.alerts,
        &state.ingest.window,
        &state.health,
        shutdown.clone(),
    )
    .unwrap();
    let (cookie, _) = support::session_for(&state.store, "vera", "viewer").await;
    let token = support::token_for(&state.store, "telegraf", &["write"]).await;
    let router = app(state.clone());

    let start_ms = chrono::Utc::now().timestamp_millis() - 60_000;
    let lines: String = (0..60)
        .map(|index| {
            let value = if index == 55 {
                40.0
            } else {
                2.0 + (index % 7) as f64 * 0.05
            };
            format!(
                "modbus,asset=pump-1 vibration={value} {}\n",
                start_ms + index * 1_000
            )
        })
        .collect();
    write(&router, &token, lines).await;

    let status = wait_for_rule_state(&router, &cookie, "ok").await;
    assert_eq!(status["available"], true, "{status}");
    let anomalies = stream_types(&state.bus, ANOMALY_STREAM).await;
    assert_eq!(anomalies.len(), 1, "{anomalies:?}");
    assert!(anomalies[0].contains("io.detectviz.anomaly.detected"));
    assert!(anomalies[0].contains(&format!("{}", start_ms + 55_000)));
    let (_, health) = get_json(&router, "/api/health", "").await;
    assert_eq!(health["modules"]["analyzer"]["status"], "up", "{health}");

    service.stop();
    let status = wait_for_rule_state(&router, &cookie, "unknown").await;
    assert_eq!(status["available"], false, "{status}");
    let reason = status["rules"][0]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("anomaly service"), "{status}");
    let (code, health) = get_json(&router, "/api/health", "").await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(health["status"], "degraded", "{health}");
    assert_eq!(health["modules"]["analyzer"]["status"], "degraded");
    let message = health["modules"]["analyzer"]["message"].as_str().unwrap();
    assert!(message.contains("model rules unknown"), "{message}");

    let now_ms = chrono::Utc::now().timestamp_millis();
    write(
        &router,
        &token,
        format!("modbus,boiler=b1 temp_c=95 {now_ms}\n"),
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let alerts = stream_types(&state.bus, ALERTS_STREAM).await;
        if alerts
            .iter()
            .any(|alert| alert.contains("firing") && alert.contains("BoilerHot"))
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "BoilerHot never fired: {alerts:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    service.start_again();
    let status = wait_for_rule_state(&router, &cookie, "ok").await;
    assert_eq!(status["available"], true, "{status}");
    shutdown.cancel();
}
