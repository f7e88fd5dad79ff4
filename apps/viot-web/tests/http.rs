//! The HTTP app in process: health, metrics, errors as JSON or htmx fragments, request ids,
//! body limits.

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;
use viot_web::app;
use viot_web::config::Config;

async fn body_text(response: axum::response::Response) -> String {
    String::from_utf8(
        response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
    .unwrap()
}

#[tokio::test]
async fn health_reports_version_role_uptime_and_modules() {
    let directory = tempfile::tempdir().unwrap();
    let state = support::test_state(directory.path(), Config::default()).await;
    let response = app(state)
        .oneshot(Request::get("/api/health").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers().contains_key("x-request-id"),
        "every response carries a request id"
    );
    let report: serde_json::Value = serde_json::from_str(&body_text(response).await).unwrap();
    assert_eq!(report["status"], "up");
    assert_eq!(report["version"], detectviz::VERSION);
    assert_eq!(report["role"], "all");
    assert!(report["uptime_s"].is_u64());
    assert_eq!(report["modules"]["store"]["status"], "up");
    assert_eq!(report["modules"]["config"]["status"], "up");
    assert_eq!(report["modules"]["bus"]["status"], "up");
    assert!(report["modules"]["store"]["last_check"].is_string());
}

#[tokio::test]
async fn health_is_503_when_the_store_is_down() {
    let directory = tempfile::tempdir().unwrap();
    let state = support::test_state(directory.path(), Config::default()).await;
    state.store.close().await;
    let response = app(state)
        .oneshot(Request::get("/api/health").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let report: serde_json::Value = serde_json::from_str(&body_text(response).await).unwrap();
    assert_eq!(report["status"], "down");
    assert_eq!(report["modules"]["store"]["status"], "down");
}

#[tokio::test]
async fn an_unknown_route_is_json_for_api_calls_and_html_for_htmx() {
    let directory = tempfile::tempdir().unwrap();
    let router = app(support::test_state(directory.path(), Config::default()).await);

    let response = router
        .clone()
        .oneshot(Request::get("/nope").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let error: serde_json::Value = serde_json::from_str(&body_text(response).await).unwrap();
    assert_eq!(error["error"]["code"], "not_found");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("/nope")
    );

    let request = Request::get("/nope")
        .header("HX-Request", "true")
        .body(Body::empty())
        .unwrap();
    let response = router.oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = body_text(response).await;
    assert!(html.contains(r#"class="alert alert-danger""#), "{html}");
    assert!(html.contains("data-error-code=\"not_found\""), "{html}");
}

#[tokio::test]
async fn a_body_over_the_limit_gets_413_in_the_error_shape() {
    let directory = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.server.body_limit_bytes = 1024;
    let router = app(support::test_state(directory.path(), config).await);
    let request = Request::post("/api/health")
        .header("content-length", "4096")
        .body(Body::from(vec![b'x'; 4096]))
        .unwrap();
    let response = router.oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let error: serde_json::Value = serde_json::from_str(&body_text(response).await).unwrap();
    assert_eq!(error["error"]["code"], "payload_too_large");
}

#[tokio::test]
async fn metrics_expose_process_http_and_config_reload_figures() {
    let directory = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.auth.metrics_public = true;
    let router = app(support::test_state(directory.path(), config).await);
    let response = router
        .clone()
        .oneshot(Request::get("/api/health").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let response = router
        .oneshot(Request::get("/metrics").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let text = body_text(response).await;
    for name in [
        "process_resident_memory_bytes",
        "process_cpu_seconds_total",
        "detectviz_config_reload_failures_total",
        "detectviz_http_requests_total{method=\"GET\",route=\"/api/health\",status=\"200\"}",
        "detectviz_http_request_duration_seconds_bucket",
    ] {
        assert!(text.contains(name), "missing {name} in:\n{text}");
    }
}
