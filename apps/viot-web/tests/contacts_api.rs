//! Contacts CRUD: admins change them, viewers read them, the Slack webhook never comes back.

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

#[tokio::test]
async fn admins_manage_contacts_and_secrets_stay_hidden() {
    let directory = tempfile::tempdir().unwrap();
    let state = support::test_state(directory.path(), Config::default()).await;
    let (cookie, csrf) = support::session_for(&state.store, "ada", "admin").await;
    let read_token = support::token_for(&state.store, "grafana", &["read"]).await;
    let router = app(state);
    let as_admin = |method: &str, uri: &str, body: &str| {
        Request::builder()
            .method(method)
            .uri(uri)
            .header("cookie", &cookie)
            .header("x-csrf-token", &csrf)
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    let contact = r#"{"id": "wang", "name": "王小明", "email": "wang@plant-a.example", "line_id": "U1234",
        "slack_webhook": "https://hooks.slack.com/services/T000/B000/secret-token", "groups": ["maintenance"],
        "channels": ["line", "email"]}"#;

    let response = router
        .clone()
        .oneshot(as_admin("POST", "/api/contacts", contact))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let created = json_body(response).await;
    assert_eq!(created["name"], "王小明");
    assert_eq!(created["slack_webhook_set"], true);
    assert!(!created.to_string().contains("secret-token"));

    let response = router
        .clone()
        .oneshot(as_admin("POST", "/api/contacts", contact))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let bad = r#"{"id": "x", "name": "X", "email": "not-an-address"}"#;
    let response = router
        .clone()
        .oneshot(as_admin("POST", "/api/contacts", bad))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(
        json_body(response).await["error"]["message"]
            .as_str()
            .unwrap()
            .contains("email")
    );

    let read = Request::get("/api/contacts")
        .header("authorization", format!("Bearer {read_token}"))
        .body(Body::empty())
        .unwrap();
    let response = router.clone().oneshot(read).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let listed = json_body(response).await;
    assert_eq!(listed[0]["groups"][0], "maintenance");
    assert!(!listed.to_string().contains("secret-token"));

    let changed = contact.replace("\"U1234\"", "\"U9999\"");
    let response = router
        .clone()
        .oneshot(as_admin("PUT", "/api/contacts/wang", &changed))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(json_body(response).await["line_id"], "U9999");

    let response = router
        .clone()
        .oneshot(as_admin("DELETE", "/api/contacts/wang", ""))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let response = router
        .oneshot(as_admin("GET", "/api/contacts/wang", ""))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}
