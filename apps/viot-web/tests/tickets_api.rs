//! Tickets API: viewers read, operators acknowledge, assign and close; one open ticket per
//! alert (reopening a closed one while the alert has another is a 409).

mod support;

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

fn ticket(id: &str) -> store::NewTicket {
    store::NewTicket {
        id: id.to_string(),
        fingerprint: "0a887e641d7af92d".to_string(),
        title: "[critical] BoilerHot".to_string(),
        description: "Boiler 2 above 95 °C".to_string(),
        severity: "critical".to_string(),
        assignee: String::new(),
        alert_link: "https://dv.example/alerts/0a887e641d7af92d".to_string(),
        run_id: None,
    }
}

#[tokio::test]
async fn operators_acknowledge_assign_and_close_tickets() {
    let directory = tempfile::tempdir().unwrap();
    let state = support::test_state(directory.path(), Config::default()).await;
    state
        .store
        .tickets()
        .open_or_get(&ticket("t1"))
        .await
        .unwrap();
    let (cookie, csrf) = support::session_for(&state.store, "olga", "operator").await;
    let router = app(state.clone());
    let request = |method: &str, uri: &str, body: &str| {
        Request::builder()
            .method(method)
            .uri(uri)
            .header("cookie", &cookie)
            .header("x-csrf-token", &csrf)
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap()
    };

    let response = router
        .clone()
        .oneshot(request("GET", "/api/tickets?status=open", ""))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let listed = json_body(response).await;
    assert_eq!(listed[0]["id"], "t1");
    assert_eq!(listed[0]["status"], "open");

    let response = router
        .clone()
        .oneshot(request(
            "PATCH",
            "/api/tickets/t1",
            r#"{"status": "acknowledged", "assignee": "olga"}"#,
        ))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let acknowledged = json_body(response).await;
    assert_eq!(acknowledged["status"], "acknowledged");
    assert_eq!(acknowledged["assignee"], "olga");

    let response = router
        .clone()
        .oneshot(request("PATCH", "/api/tickets/t1", r#"{"status": "done"}"#))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(
        json_body(response)
            .await
            .to_string()
            .contains("none of open")
    );

    let response = router
        .clone()
        .oneshot(request(
            "PATCH",
            "/api/tickets/t1",
            r#"{"status": "closed"}"#,
        ))
        .await
        .unwrap();
    let closed = json_body(response).await;
    assert_eq!(closed["status"], "closed");
    assert_eq!(closed["assignee"], "olga");
    assert!(closed["closed_at_ms"].is_i64());

    let second = state
        .store
        .tickets()
        .open_or_get(&ticket("t2"))
        .await
        .unwrap();
    assert!(second.created, "a closed ticket frees the alert");
    let response = router
        .clone()
        .oneshot(request("PATCH", "/api/tickets/t1", r#"{"status": "open"}"#))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let response = router
        .clone()
        .oneshot(request("GET", "/api/tickets/nope", ""))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}
