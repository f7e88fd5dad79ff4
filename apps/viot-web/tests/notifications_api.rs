//! Delivery status through the API and the notifier's metrics: an alert posted to
//! `/api/v2/alerts` is notified through a LINE channel (a local peer that answers like the
//! Messaging API) and a webhook whose URL carries a token but whose host refuses
//! connections; `/api/notifications` shows one row sent with the provider's message id and
//! one retrying with its error, filtered and paged, and never a URL or token.

mod support;

#[path = "support/http_sink.rs"]
mod http_sink;

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

use http_sink::{DuplicateAnswer, HttpSink};

const LINE_TOKEN: &str = "line-channel-secret-token";
const URL_TOKEN: &str = "hook-path-secret-token";

async fn get(state: &viot_web::AppState, cookie: &str, uri: &str) -> (StatusCode, String) {
    let request = Request::get(uri)
        .header("cookie", cookie)
        .body(Body::empty())
        .unwrap();
    let response = viot_web::app(state.clone()).oneshot(request).await.unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

async fn get_json(state: &viot_web::AppState, cookie: &str, uri: &str) -> serde_json::Value {
    let (status, body) = get(state, cookie, uri).await;
    assert_eq!(status, StatusCode::OK, "{uri}: {body}");
    assert!(
        !body.contains(LINE_TOKEN) && !body.contains(URL_TOKEN),
        "{body}"
    );
    serde_json::from_str(&body).unwrap()
}

#[tokio::test]
async fn delivery_status_is_listed_filtered_paged_and_counted_without_secrets() {
    let directory = tempfile::tempdir().unwrap();
    let line_peer = HttpSink::start("x-line-retry-key", DuplicateAnswer::Conflict, false);
    let closed_port = support::spare_port();
    let config_text = format!(
        r#"
[notifier]
tick_ms = 50
[notifier.route]
receiver = "oncall"
group_by = ["alertname"]
group_wait_s = 0
[[notifier.receivers]]
name = "oncall"
channels = ["line-ops", "broken-hook"]
[[notifier.channels]]
type = "line"
name = "line-ops"
to = "Cdeadbeef"
channel_access_token = "{LINE_TOKEN}"
api_base = "{line_base}"
[[notifier.channels]]
type = "webhook"
name = "broken-hook"
url = "http://127.0.0.1:{closed_port}/hooks/{URL_TOKEN}?key={URL_TOKEN}"
"#,
        line_base = line_peer.url(""),
    );
    let config =
        viot_web::config::load_config_text("notifications.conf", &config_text, &[]).unwrap();
    let state = support::test_state(directory.path(), config).await;
    let token = support::token_for(&state.store, "alerts-in", &["write"]).await;
    let alert = r#"[{"labels":{"alertname":"BoilerHot","site":"plant-a","severity":"critical"}}]"#;
    let post = Request::post("/api/v2/alerts")
        .header("authorization", format!("Token {token}"))
        .header("content-type", "application/json")
        .body(Body::from(alert))
        .unwrap();
    let answer = viot_web::app(state.clone()).oneshot(post).await.unwrap();
    assert_eq!(answer.status(), StatusCode::OK);

    let (cookie, _) = support::session_for(&state.store, "vera", "viewer").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    let page = loop {
        let page = get_json(&state, &cookie, "/api/notifications").await;
        let statuses: Vec<&str> = page["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|row| row["status"].as_str())
            .collect();
        if statuses.contains(&"sent") && statuses.contains(&"retrying") {
            break page;
        }
        assert!(
            Instant::now() < deadline,
            "no sent and retrying rows: {page}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(page["notifications"].as_array().unwrap().len(), 2);
    assert_eq!(page["next_before"], serde_json::Value::Null);

    let sent = get_json(&state, &cookie, "/api/notifications?status=sent").await;
    let sent = &sent["notifications"][0];
    assert_eq!(sent["channel"], "line-ops");
    assert_eq!(sent["receiver"], "oncall");
    assert!(sent["contact_id"].is_null(), "not a contact group: {sent}");
    assert_eq!(sent["attempts"], 1);
    let key = line_peer.requests()[0].headers["x-line-retry-key"].clone();
    assert_eq!(sent["provider_message_id"], format!("msg-{key}"));
    assert_eq!(sent["alerts"][0]["alertname"], "BoilerHot");
    assert_eq!(sent["alerts"][0]["state"], "firing");
    let fingerprint = sent["alerts"][0]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();

    let retrying = get_json(&state, &cookie, "/api/notifications?status=retrying").await;
    let retrying = &retrying["notifications"][0];
    assert_eq!(retrying["channel"], "broken-hook");
    let error = retrying["last_error"].as_str().unwrap();
    assert!(error.contains("cannot reach"), "{error}");
    assert!(retrying["next_attempt_at_ms"].is_i64());

    let by_fingerprint = format!("/api/notifications?fingerprint={fingerprint}&receiver=oncall");
    let listed = get_json(&state, &cookie, &by_fingerprint).await;
    assert_eq!(listed["notifications"].as_array().unwrap().len(), 2);
    let other = get_json(
        &state,
        &cookie,
        "/api/notifications?fingerprint=0000000000000000",
    )
    .await;
    assert!(other["notifications"].as_array().unwrap().is_empty());
    let nobody = get_json(&state, &cookie, "/api/notifications?receiver=nobody").await;
    assert!(nobody["notifications"].as_array().unwrap().is_empty());

    let first_page = get_json(&state, &cookie, "/api/notifications?limit=1").await;
    let next_before = first_page["next_before"].as_i64().expect("a next page");
    let second_page = get_json(
        &state,
        &cookie,
        &format!("/api/notifications?limit=1&before={next_before}"),
    )
    .await;
    let first_id = first_page["notifications"][0]["id"].as_i64().unwrap();
    let second_id = second_page["notifications"][0]["id"].as_i64().unwrap();
    assert!(second_id < first_id);

    let one = get_json(&state, &cookie, &format!("/api/notifications/{second_id}")).await;
    assert_eq!(one["id"], second_id);
    let (status, body) = get(&state, &cookie, "/api/notifications/999999").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = get(&state, &cookie, "/api/notifications?status=lost").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("status: \\\"lost\\\""), "{body}");
    let (status, body) = get(&state, &cookie, "/api/notifications?limit=0").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("limit"), "{body}");
    let (status, body) = get(&state, &cookie, "/api/notifications?colour=red").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("colour"), "{body}");

    let (status, metrics) = get(&state, &cookie, "/metrics").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        metrics.contains("detectviz_notifier_sent_total{channel=\"line-ops\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("detectviz_notifier_retried_total{channel=\"broken-hook\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains("detectviz_notifier_queue_depth 1"),
        "{metrics}"
    );
}
