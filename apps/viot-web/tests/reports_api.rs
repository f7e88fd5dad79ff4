//! Reports over HTTP: an operator generates one on demand, a viewer lists and downloads it;
//! bad requests name the field; a viewer cannot generate.

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;
use viot_web::app;
use viot_web::config::Config;

async fn body_bytes(response: axum::response::Response) -> Vec<u8> {
    response
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec()
}

#[tokio::test]
async fn operators_generate_reports_and_viewers_list_and_download_them() {
    let directory = tempfile::tempdir().unwrap();
    let config = Config {
        reporter: Some(reporter::ReporterConfig {
            exports_dir: directory.path().join("exports"),
            llm_url: String::new(),
            schedules: Vec::new(),
            ..Default::default()
        }),
        ..Config::default()
    };
    let state = support::test_state(directory.path(), config).await;
    let (operator_cookie, operator_csrf) =
        support::session_for(&state.store, "olivia", "operator").await;
    let (viewer_cookie, viewer_csrf) = support::session_for(&state.store, "victor", "viewer").await;
    let router = app(state);
    let post = |cookie: &str, csrf: &str, body: &str| {
        Request::post("/api/reports")
            .header("cookie", cookie)
            .header("x-csrf-token", csrf)
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    let get = |uri: &str| {
        Request::get(uri)
            .header("cookie", &viewer_cookie)
            .body(Body::empty())
            .unwrap()
    };

    let response = router
        .clone()
        .oneshot(post(&viewer_cookie, &viewer_csrf, "{}"))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    let response = router
        .clone()
        .oneshot(post(&operator_cookie, &operator_csrf, r#"{"from_ms": 10}"#))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let message = String::from_utf8(body_bytes(response).await).unwrap();
    assert!(message.contains("from_ms and to_ms"), "{message}");

    let response = router
        .clone()
        .oneshot(post(
            &operator_cookie,
            &operator_csrf,
            r#"{"kind": "weekly", "language": "zh-TW"}"#,
        ))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: serde_json::Value = serde_json::from_slice(&body_bytes(response).await).unwrap();
    assert_eq!(created["kind"], "weekly");
    assert_eq!(created["title"], "每週告警報告");
    assert_eq!(created["created_by"], "olivia");
    assert_eq!(created["summary_backend"], "reporter");
    assert_eq!(
        created["period_to_ms"].as_i64().unwrap() - created["period_from_ms"].as_i64().unwrap(),
        7 * 86_400_000
    );
    let id = created["id"].as_str().unwrap().to_string();

    let response = router.clone().oneshot(get("/api/reports")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let listed: serde_json::Value = serde_json::from_slice(&body_bytes(response).await).unwrap();
    assert_eq!(listed[0]["id"], id.as_str());
    assert_eq!(listed[0]["links"][2], format!("/api/reports/{id}/pdf"));

    let response = router
        .clone()
        .oneshot(get(&format!("/api/reports/{id}/pdf")))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    assert_eq!(
        response.headers()["content-disposition"],
        format!("attachment; filename=\"{id}.pdf\"").as_str()
    );
    assert!(body_bytes(response).await.starts_with(b"%PDF-"));

    let response = router
        .clone()
        .oneshot(get(&format!("/api/reports/{id}/html")))
        .await
        .unwrap();
    assert_eq!(
        response.headers()["content-type"],
        "text/html; charset=utf-8"
    );
    let html = String::from_utf8(body_bytes(response).await).unwrap();
    assert!(html.contains("每週告警報告") && html.contains("<svg"));

    let response = router
        .clone()
        .oneshot(get(&format!("/api/reports/{id}/docx")))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let response = router
        .clone()
        .oneshot(get("/api/reports/weekly-nope/csv"))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[test]
fn the_reporter_sample_section_loads_and_a_bad_cron_names_its_key() {
    let text = format!(
        "{}\n{}",
        viot_web::config::DEFAULT_CONFIG_TEXT,
        reporter::config::SAMPLE_CONFIG
    );
    let config = viot_web::config::load_config_text("detectviz.conf", &text, &[]).unwrap();
    assert_eq!(config.reporter, Some(reporter::ReporterConfig::default()));

    let bad = text.replace("cron = \"0 7 * * Mon\"", "cron = \"0 7 * * Someday\"");
    let error = viot_web::config::load_config_text("detectviz.conf", &bad, &[])
        .unwrap_err()
        .to_string();
    assert!(error.contains("reporter.schedules[weekly].cron"), "{error}");
}
