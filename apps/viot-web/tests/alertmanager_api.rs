//! The Alertmanager API v2 in process: pushed alerts (partial rejection, `endsAt`, filters),
//! silences (create, read, list, mute, expire, validation) and who may call what.

mod support;

use alert::MatchOperator;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use chrono::{Duration as ChronoDuration, Utc};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use viot_web::app;
use viot_web::config::Config;
use viot_web::routes::alertmanager::parse_matchers;

/// Sends one request; answers the status and the JSON body (`Null` when empty).
async fn send(
    router: &axum::Router,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut builder = Request::builder().method(method).uri(path);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let request = match body {
        Some(body) => builder
            .header("content-type", "application/json")
            .body(Body::from(body.to_string())),
        None => builder.body(Body::empty()),
    }
    .unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

fn minutes_from_now(minutes: i64) -> String {
    (Utc::now() + ChronoDuration::minutes(minutes)).to_rfc3339()
}

fn pump_down_alert() -> Value {
    json!({
        "labels": {"alertname": "PumpDown", "device": "pump-1", "severity": "critical"},
        "annotations": {"summary": "pump-1 stopped"},
        "generatorURL": "http://prometheus.example/graph",
    })
}

fn alert_names(alerts: &Value) -> Vec<String> {
    alerts
        .as_array()
        .expect("an alert list")
        .iter()
        .map(|alert| alert["labels"]["alertname"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn valid_alerts_are_kept_when_others_in_the_batch_are_rejected() {
    let directory = tempfile::tempdir().unwrap();
    let state = support::test_state(directory.path(), Config::default()).await;
    let write = bearer(&support::token_for(&state.store, "prometheus", &["write"]).await);
    let read = bearer(&support::token_for(&state.store, "grafana", &["read"]).await);
    let router = app(state);

    let batch = json!([pump_down_alert(), {"labels": {"device": "pump-2"}}]);
    let (status, body) = send(
        &router,
        Method::POST,
        "/api/v2/alerts",
        &[("authorization", &write)],
        Some(batch),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["accepted"], 1, "{body}");
    assert_eq!(body["rejected"][0]["index"], 1, "{body}");
    let reason = body["rejected"][0]["reason"].as_str().unwrap();
    assert!(reason.contains("alertname"), "{reason}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("alert 1")
    );

    let (status, alerts) = send(
        &router,
        Method::GET,
        "/api/v2/alerts",
        &[("authorization", &read)],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(alert_names(&alerts), ["PumpDown"]);
    let listed = &alerts[0];
    assert_eq!(listed["status"]["state"], "active");
    assert_eq!(listed["status"]["silencedBy"], json!([]));
    assert_eq!(listed["status"]["inhibitedBy"], json!([]));
    assert_eq!(listed["receivers"], json!([{"name": "detectviz"}]));
    assert_eq!(listed["annotations"]["summary"], "pump-1 stopped");
    assert_eq!(listed["generatorURL"], "http://prometheus.example/graph");
    assert_eq!(listed["fingerprint"].as_str().unwrap().len(), 16);
    for field in ["startsAt", "endsAt", "updatedAt"] {
        assert!(listed[field].is_string(), "{field} in {listed}");
    }

    let filtered = |filter: &'static str| {
        let router = router.clone();
        let read = read.clone();
        async move {
            let path = format!("/api/v2/alerts?filter={filter}");
            let (status, alerts) = send(
                &router,
                Method::GET,
                &path,
                &[("authorization", &read)],
                None,
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{filter}: {alerts}");
            alert_names(&alerts)
        }
    };
    assert_eq!(filtered("alertname%3D%22PumpDown%22").await, ["PumpDown"]);
    assert!(filtered("alertname%3D%22BoilerHot%22").await.is_empty());
    assert_eq!(filtered("severity%3D~%22crit.%2A%22").await, ["PumpDown"]);
    assert!(filtered("device!%3Dpump-1").await.is_empty());

    let (status, body) = send(
        &router,
        Method::GET,
        "/api/v2/alerts?filter=alertname",
        &[("authorization", &read)],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}

#[tokio::test]
async fn an_alert_whose_ends_at_has_passed_is_resolved_and_no_longer_listed() {
    let directory = tempfile::tempdir().unwrap();
    let state = support::test_state(directory.path(), Config::default()).await;
    let write = bearer(&support::token_for(&state.store, "prometheus", &["write"]).await);
    let read = bearer(&support::token_for(&state.store, "grafana", &["read"]).await);
    let router = app(state);
    let post = |alerts: Value| {
        let router = router.clone();
        let write = write.clone();
        async move {
            let headers = [("authorization", write.as_str())];
            send(
                &router,
                Method::POST,
                "/api/v2/alerts",
                &headers,
                Some(alerts),
            )
            .await
        }
    };
    let list = || async {
        let (status, alerts) = send(
            &router,
            Method::GET,
            "/api/v2/alerts",
            &[("authorization", &read)],
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        alert_names(&alerts)
    };

    assert_eq!(post(json!([pump_down_alert()])).await.0, StatusCode::OK);
    assert_eq!(list().await, ["PumpDown"]);

    let mut resolved = pump_down_alert();
    resolved["startsAt"] = json!(minutes_from_now(-10));
    resolved["endsAt"] = json!(minutes_from_now(-1));
    let mut already_over = json!({"labels": {"alertname": "DoorOpen"}});
    already_over["startsAt"] = json!(minutes_from_now(-10));
    already_over["endsAt"] = json!(minutes_from_now(-5));
    let (status, body) = post(json!([resolved, already_over])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(list().await.is_empty(), "resolved alerts are not listed");

    let mut ends_before_it_starts = pump_down_alert();
    ends_before_it_starts["startsAt"] = json!(minutes_from_now(-1));
    ends_before_it_starts["endsAt"] = json!(minutes_from_now(-2));
    let (status, body) = post(json!([ends_before_it_starts])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["rejected"][0]["index"], 0);

    let (status, body) = post(json!({"labels": {"alertname": "NotAnArray"}})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "bad_request");
}

#[tokio::test]
async fn silences_round_trip_and_mute_matching_alerts_until_expired() {
    let directory = tempfile::tempdir().unwrap();
    let state = support::test_state(directory.path(), Config::default()).await;
    let write = bearer(&support::token_for(&state.store, "prometheus", &["write"]).await);
    let read = bearer(&support::token_for(&state.store, "grafana", &["read"]).await);
    let (cookie, csrf) = support::session_for(&state.store, "otto", "operator").await;
    let operator = [("cookie", cookie.as_str()), ("x-csrf-token", csrf.as_str())];
    let reader = [("authorization", read.as_str())];
    let router = app(state);
    let headers = [("authorization", write.as_str())];
    let batch = json!([pump_down_alert()]);
    let (status, _) = send(
        &router,
        Method::POST,
        "/api/v2/alerts",
        &headers,
        Some(batch),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let silence = json!({
        "matchers": [{"name": "device", "value": "pump-.*", "isRegex": true, "isEqual": true}],
        "startsAt": minutes_from_now(-1),
        "endsAt": minutes_from_now(60),
        "createdBy": "otto",
        "comment": "pump swap",
    });
    let (status, created) = send(
        &router,
        Method::POST,
        "/api/v2/silences",
        &operator,
        Some(silence.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let silence_id = created["silenceID"].as_str().unwrap().to_string();
    assert!(uuid::Uuid::parse_str(&silence_id).is_ok(), "{silence_id}");

    let silence_path = format!("/api/v2/silence/{silence_id}");
    let (status, fetched) = send(&router, Method::GET, &silence_path, &reader, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(fetched["id"], silence_id.as_str());
    assert_eq!(fetched["status"]["state"], "active");
    assert_eq!(fetched["matchers"], silence["matchers"]);
    assert_eq!(fetched["createdBy"], "otto");
    assert_eq!(fetched["comment"], "pump swap");

    let mut later = silence.clone();
    later["startsAt"] = json!(minutes_from_now(30));
    let (status, pending) = send(
        &router,
        Method::POST,
        "/api/v2/silences",
        &operator,
        Some(later),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{pending}");
    let (_, listed) = send(&router, Method::GET, "/api/v2/silences", &reader, None).await;
    let states: Vec<(&str, &str)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|silence| {
            (
                silence["id"].as_str().unwrap(),
                silence["status"]["state"].as_str().unwrap(),
            )
        })
        .collect();
    let pending_id = pending["silenceID"].as_str().unwrap();
    assert_eq!(
        states,
        [(silence_id.as_str(), "active"), (pending_id, "pending")]
    );

    let (_, alerts) = send(&router, Method::GET, "/api/v2/alerts", &reader, None).await;
    assert_eq!(alerts[0]["status"]["state"], "suppressed", "{alerts}");
    assert_eq!(alerts[0]["status"]["silencedBy"], json!([silence_id]));
    let (_, unsilenced) = send(
        &router,
        Method::GET,
        "/api/v2/alerts?silenced=false",
        &reader,
        None,
    )
    .await;
    assert_eq!(unsilenced, json!([]));

    let (status, _) = send(&router, Method::DELETE, &silence_path, &operator, None).await;
    assert_eq!(status, StatusCode::OK);
    let (_, expired) = send(&router, Method::GET, &silence_path, &reader, None).await;
    assert_eq!(expired["status"]["state"], "expired");
    let (_, alerts) = send(&router, Method::GET, "/api/v2/alerts", &reader, None).await;
    assert_eq!(alerts[0]["status"]["state"], "active", "{alerts}");

    let (status, _) = send(
        &router,
        Method::GET,
        "/api/v2/silence/no-such-silence",
        &reader,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = send(
        &router,
        Method::DELETE,
        "/api/v2/silence/no-such-silence",
        &operator,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn invalid_silences_are_refused_naming_the_field() {
    let directory = tempfile::tempdir().unwrap();
    let state = support::test_state(directory.path(), Config::default()).await;
    let admin = bearer(&support::token_for(&state.store, "admin", &["admin"]).await);
    let router = app(state);
    let valid = json!({
        "matchers": [{"name": "alertname", "value": "PumpDown", "isRegex": false}],
        "startsAt": minutes_from_now(0),
        "endsAt": minutes_from_now(60),
        "createdBy": "ops",
        "comment": "",
    });
    let with = |field: &str, value: Value| {
        let mut silence = valid.clone();
        silence[field] = value;
        silence
    };
    let cases = [
        (with("endsAt", json!(minutes_from_now(-30))), "endsAt"),
        (with("startsAt", json!("yesterday")), "startsAt"),
        (with("createdBy", json!(" ")), "createdBy"),
        (with("matchers", json!([])), "matcher"),
        (
            with(
                "matchers",
                json!([{"name": "device", "value": "(", "isRegex": true}]),
            ),
            "device",
        ),
        (
            with(
                "matchers",
                json!([{"name": "device", "value": ".*", "isRegex": true}]),
            ),
            "empty string",
        ),
        (
            with("id", json!("00000000-0000-0000-0000-000000000000")),
            "not found",
        ),
    ];
    for (silence, named) in cases {
        let (status, body) = send(
            &router,
            Method::POST,
            "/api/v2/silences",
            &[("authorization", &admin)],
            Some(silence.clone()),
        )
        .await;
        assert!(status.is_client_error(), "{silence}: {status}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(named), "{silence}: {message}");
    }
}

#[tokio::test]
async fn callers_need_the_right_token_or_role() {
    let directory = tempfile::tempdir().unwrap();
    let state = support::test_state(directory.path(), Config::default()).await;
    let read = bearer(&support::token_for(&state.store, "grafana", &["read"]).await);
    let write = bearer(&support::token_for(&state.store, "prometheus", &["write"]).await);
    let router = app(state);
    let alerts = Some(json!([pump_down_alert()]));

    let (status, _) = send(&router, Method::POST, "/api/v2/alerts", &[], alerts.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = send(&router, Method::GET, "/api/v2/alerts", &[], None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let read_only = [("authorization", read.as_str())];
    let (status, _) = send(
        &router,
        Method::POST,
        "/api/v2/alerts",
        &read_only,
        alerts.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = send(
        &router,
        Method::POST,
        "/api/v2/silences",
        &read_only,
        Some(json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let write_only = [("authorization", write.as_str())];
    let (status, _) = send(&router, Method::GET, "/api/v2/alerts", &write_only, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = send(&router, Method::POST, "/api/v2/alerts", &write_only, alerts).await;
    assert_eq!(status, StatusCode::OK);
}

#[test]
fn filters_read_quoted_unquoted_and_braced_matchers() {
    let matchers = parse_matchers(r#"{alertname="Pump, Down", severity=~"crit.*"}"#).unwrap();
    assert_eq!(matchers.len(), 2);
    assert_eq!(matchers[0].name, "alertname");
    assert_eq!(matchers[0].value, "Pump, Down");
    assert_eq!(matchers[1].op, MatchOperator::RegexMatch);
    let unquoted = parse_matchers("job!=node").unwrap();
    assert_eq!(unquoted[0].op, MatchOperator::NotEqual);
    assert_eq!(unquoted[0].value, "node");
    let escaped = parse_matchers(r#"msg="say \"hi\"""#).unwrap();
    assert_eq!(escaped[0].value, r#"say "hi""#);
}

#[test]
fn bad_filters_are_refused_naming_the_filter() {
    for text in ["alertname", "=\"x\"", "alertname=\"open", "a=~\"(\""] {
        let error = parse_matchers(text).unwrap_err();
        assert_eq!(error.status, StatusCode::BAD_REQUEST, "{text}");
        assert!(
            error.message.contains("filter"),
            "{text}: {}",
            error.message
        );
    }
}
