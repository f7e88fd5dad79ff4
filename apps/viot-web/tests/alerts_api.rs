//! Rules created through the API drive the engine; the recorder makes alerts visible with
//! their history; operators acknowledge them.

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

const RULE: &str = r#"{"id": "tank-low", "name": "TankLow",
  "selector": {"measurement": "modbus", "field": "level_pct"},
  "levels": [{"severity": "warning", "condition": {"op": "<", "value": 20}}]}"#;

#[tokio::test]
async fn a_rule_made_through_the_api_raises_an_alert_that_an_operator_acknowledges() {
    let directory = tempfile::tempdir().unwrap();
    let state = support::test_state(directory.path(), Config::default()).await;
    let (admin_cookie, admin_csrf) = support::session_for(&state.store, "ada", "admin").await;
    let (operator_cookie, operator_csrf) =
        support::session_for(&state.store, "otto", "operator").await;
    let write_token = support::token_for(&state.store, "telegraf", &["write"]).await;
    let router = app(state.clone());
    let as_admin = |method: &str, uri: &str, body: &str| {
        Request::builder()
            .method(method)
            .uri(uri)
            .header("cookie", &admin_cookie)
            .header("x-csrf-token", &admin_csrf)
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap()
    };

    let response = router
        .clone()
        .oneshot(as_admin("POST", "/api/rules", RULE))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let response = router
        .clone()
        .oneshot(as_admin("POST", "/api/rules", RULE))
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::CONFLICT,
        "a second create of the same id"
    );
    let bad = r#"{"id": "x", "name": "X", "selector": {"measurement": "m", "field": "f"}, "levels": [{"severity": "loud"}]}"#;
    let response = router
        .clone()
        .oneshot(as_admin("POST", "/api/rules", bad))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let response = router
        .clone()
        .oneshot(as_admin("GET", "/api/rules", ""))
        .await
        .unwrap();
    let rules = json_body(response).await;
    assert_eq!(rules[0]["source"], "api");
    assert_eq!(rules[0]["rule"]["id"], "tank-low");

    let write = Request::post("/api/v2/write")
        .header("authorization", format!("Token {write_token}"))
        .body(Body::from("modbus,tank=t1 level_pct=12.5\n"))
        .unwrap();
    assert_eq!(
        router.clone().oneshot(write).await.unwrap().status(),
        StatusCode::NO_CONTENT
    );

    let deadline = Instant::now() + Duration::from_secs(15);
    let fingerprint = loop {
        let response = router
            .clone()
            .oneshot(as_admin("GET", "/api/alerts?state=firing", ""))
            .await
            .unwrap();
        let alerts = json_body(response).await;
        if let Some(alert) = alerts.as_array().and_then(|alerts| alerts.first()) {
            assert_eq!(alert["labels"]["tank"], "t1");
            assert_eq!(alert["severity"], "warning");
            break alert["fingerprint"].as_str().unwrap().to_string();
        }
        assert!(
            Instant::now() < deadline,
            "the alert never reached the store"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };

    let ack = Request::post(format!("/api/alerts/{fingerprint}/ack"))
        .header("cookie", &operator_cookie)
        .header("x-csrf-token", &operator_csrf)
        .header("content-type", "application/json")
        .body(Body::from(r#"{"comment": "refilling"}"#))
        .unwrap();
    let response = router.clone().oneshot(ack).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(json_body(response).await["acknowledgement"]["by"], "otto");

    let response = router
        .clone()
        .oneshot(as_admin("GET", &format!("/api/alerts/{fingerprint}"), ""))
        .await
        .unwrap();
    let detail = json_body(response).await;
    assert_eq!(detail["history"][0]["kind"], "firing");
    assert_eq!(detail["alert"]["acknowledgement"]["comment"], "refilling");

    let response = router
        .clone()
        .oneshot(as_admin("DELETE", "/api/rules/tank-low", ""))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(
        state.alerts.rules().is_empty(),
        "the running rule set follows the store"
    );
}
