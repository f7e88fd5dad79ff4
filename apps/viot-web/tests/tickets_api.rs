//! Tickets API: viewers read, operators acknowledge, assign and close; one open ticket per
//! alert (reopening a closed one while the alert has another is a 409). End to end through
//! HTTP ingest: the ticket action opens a ticket, the alert's resolution closes it with the
//! resolved time, and a new firing opens another.

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

/// An ITSM that answers every incident with a new id.
async fn start_itsm() -> String {
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let router = axum::Router::new().route(
        "/incidents",
        axum::routing::post(move || {
            let count = count.clone();
            async move {
                let number = count.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                serde_json::json!({"id": format!("INC-{number}")}).to_string()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{address}/incidents")
}

/// Polls `GET /api/tickets` until `done` holds for the list.
async fn wait_for_tickets(
    router: &axum::Router,
    cookie: &str,
    done: impl Fn(&[serde_json::Value]) -> bool,
) -> Vec<serde_json::Value> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let request = Request::get("/api/tickets")
            .header("cookie", cookie)
            .body(Body::empty())
            .unwrap();
        let listed = json_body(router.clone().oneshot(request).await.unwrap()).await;
        let tickets = listed.as_array().cloned().unwrap_or_default();
        if done(&tickets) {
            return tickets;
        }
        assert!(std::time::Instant::now() < deadline, "tickets: {tickets:?}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_ticket_closes_when_its_alert_resolves_and_a_new_firing_opens_another() {
    let directory = tempfile::tempdir().unwrap();
    let itsm = start_itsm().await;
    let rules = directory.path().join("rules.toml");
    std::fs::write(
        &rules,
        "[[rules]]\nid = \"boiler\"\nname = \"BoilerHot\"\nselector = { measurement = \"boiler\", field = \"temperature\" }\n[[rules.levels]]\nseverity = \"critical\"\ncondition = { op = \">\", value = 95 }\n",
    )
    .unwrap();
    let config_text = format!(
        r#"
[alert]
rules_files = ["{rules}"]
[automation]
enabled = true
[[automation.rules]]
id = "incident"
name = "Open an incident"
trigger = {{ min_severity = "critical" }}
action = {{ type = "ticket", name = "incident", url = "{itsm}" }}
"#,
        rules = rules.display()
    );
    let config = viot_web::config::load_config_text("tickets.conf", &config_text, &[]).unwrap();
    let state = support::test_state(directory.path(), config).await;
    let (cookie, _) = support::session_for(&state.store, "vera", "viewer").await;
    let token = support::token_for(&state.store, "telegraf", &["write"]).await;
    let router = app(state.clone());
    let write = |temperature: f64| {
        Request::post("/api/v2/write")
            .header("authorization", format!("Token {token}"))
            .body(Body::from(format!(
                "boiler,unit=b2 temperature={temperature}\n"
            )))
            .unwrap()
    };

    let response = router.clone().oneshot(write(97.5)).await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let opened = wait_for_tickets(&router, &cookie, |tickets| {
        tickets.len() == 1 && tickets[0]["external_id"] == "INC-1"
    })
    .await;
    assert_eq!(opened[0]["status"], "open");
    assert!(opened[0]["resolved_at_ms"].is_null());

    router.clone().oneshot(write(80.0)).await.unwrap();
    let closed = wait_for_tickets(&router, &cookie, |tickets| {
        tickets.len() == 1 && tickets[0]["status"] == "closed"
    })
    .await;
    assert!(closed[0]["resolved_at_ms"].is_i64(), "{closed:?}");
    assert_eq!(closed[0]["closed_at_ms"], closed[0]["resolved_at_ms"]);

    router.clone().oneshot(write(98.0)).await.unwrap();
    let both = wait_for_tickets(&router, &cookie, |tickets| {
        tickets.len() == 2
            && tickets
                .iter()
                .any(|ticket| ticket["external_id"] == "INC-2")
    })
    .await;
    let statuses: Vec<&str> = both
        .iter()
        .map(|ticket| ticket["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["open", "closed"], "newest first: {both:?}");
}
