//! The security suite: every route in the route book refuses callers without credentials
//! (401) and callers whose role or token scope is too small (403); cookie-authenticated
//! changes need the CSRF token; logins are rate limited and audited.

mod support;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;
use viot_web::app;
use viot_web::auth::{Access, UserRole};
use viot_web::config::Config;
use viot_web::routes::route_book;

fn concrete_path(path: &str) -> String {
    path.replace("{id}", "1").replace("{name}", "some_name")
}

fn request(method: &Method, path: &str, credentials: &[(&str, &str)]) -> Request<Body> {
    let mut builder = Request::builder()
        .method(method.clone())
        .uri(concrete_path(path));
    builder = builder.header("content-type", "application/json");
    for (name, value) in credentials {
        builder = builder.header(*name, *value);
    }
    builder.body(Body::from("{}")).unwrap()
}

async fn json_body(response: axum::response::Response) -> serde_json::Value {
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null)
}

#[tokio::test]
async fn every_route_refuses_anonymous_callers_and_too_small_roles() {
    let directory = tempfile::tempdir().unwrap();
    let state = support::test_state(directory.path(), Config::default()).await;
    let (viewer_cookie, viewer_csrf) = support::session_for(&state.store, "vera", "viewer").await;
    let (operator_cookie, operator_csrf) =
        support::session_for(&state.store, "otto", "operator").await;
    let write_token = format!(
        "Token {}",
        support::token_for(&state.store, "telegraf", &["write"]).await
    );
    let entries = route_book(state.clone()).entries().to_vec();
    assert!(
        entries.len() >= 10,
        "the book lists every route: {entries:?}"
    );
    let router = app(state);

    for entry in entries
        .iter()
        .filter(|entry| entry.access != Access::Public)
    {
        let response = router
            .clone()
            .oneshot(request(&entry.method, entry.path, &[]))
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "{} {} without credentials",
            entry.method,
            entry.path
        );

        let too_small: Vec<(&str, Vec<(&str, &str)>)> = match entry.access {
            Access::Role(UserRole::Viewer) => vec![(
                "write-only token",
                vec![("authorization", write_token.as_str())],
            )],
            Access::Role(UserRole::Operator) | Access::WriteMetrics => {
                vec![(
                    "viewer",
                    vec![
                        ("cookie", viewer_cookie.as_str()),
                        ("x-csrf-token", viewer_csrf.as_str()),
                    ],
                )]
            }
            Access::Role(UserRole::Admin) => vec![
                (
                    "operator",
                    vec![
                        ("cookie", operator_cookie.as_str()),
                        ("x-csrf-token", operator_csrf.as_str()),
                    ],
                ),
                (
                    "write-only token",
                    vec![("authorization", write_token.as_str())],
                ),
            ],
            Access::Public => unreachable!(),
        };
        for (who, credentials) in too_small {
            let response = router
                .clone()
                .oneshot(request(&entry.method, entry.path, &credentials))
                .await
                .unwrap();
            assert_eq!(
                response.status(),
                StatusCode::FORBIDDEN,
                "{} {} as {who}",
                entry.method,
                entry.path
            );
        }
    }
}

#[tokio::test]
async fn a_cookie_authenticated_change_needs_the_csrf_token_and_is_audited() {
    let directory = tempfile::tempdir().unwrap();
    let state = support::test_state(directory.path(), Config::default()).await;
    let (cookie, csrf) = support::session_for(&state.store, "ada", "admin").await;
    let router = app(state.clone());
    let body = r#"{"name": "scripts", "scopes": ["read"]}"#;
    let create = |extra: Option<&str>| {
        let mut builder = Request::post("/api/tokens")
            .header("cookie", &cookie)
            .header("content-type", "application/json");
        if let Some(token) = extra {
            builder = builder.header("x-csrf-token", token);
        }
        builder.body(Body::from(body)).unwrap()
    };

    let response = router.clone().oneshot(create(None)).await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(
        json_body(response).await["error"]["message"]
            .as_str()
            .unwrap()
            .contains("CSRF")
    );
    let response = router.clone().oneshot(create(Some("0000"))).await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    let response = router.clone().oneshot(create(Some(&csrf))).await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let created = json_body(response).await;
    let token = created["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("dvt_"));

    let audit = state
        .store
        .audit_log()
        .query(&store::AuditQuery {
            actor: Some("ada".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        audit.len(),
        1,
        "only the change that went through is audited by the handler path: {audit:?}"
    );
    assert_eq!(audit[0].action, "POST /api/tokens");
    assert_eq!(audit[0].result, "201");

    // The new read token reads, but an API token is never subject to CSRF and cannot administer.
    let read = Request::get("/api/auth/me")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let response = router.clone().oneshot(read).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(json_body(response).await["role"], "viewer");
    let admin_call = Request::get("/api/users")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        router.clone().oneshot(admin_call).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );

    // Revoked tokens stop working at once.
    let id = created["details"]["id"].as_i64().unwrap();
    let revoke = Request::delete(format!("/api/tokens/{id}"))
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        router.clone().oneshot(revoke).await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    let read = Request::get("/api/auth/me")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        router.oneshot(read).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn login_sets_a_safe_cookie_and_repeated_failures_lock_out() {
    let directory = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.auth.max_failed_logins = 3;
    let state = support::test_state(directory.path(), config).await;
    let request = viot_web::routes::users::CreateUserRequest {
        username: "olga".into(),
        display_name: None,
        password: "a long enough password".into(),
        role: UserRole::Operator,
    };
    viot_web::routes::users::create_local_user(&state.store, &request)
        .await
        .unwrap();
    let router = app(state.clone());
    let login = |password: &str| {
        Request::post("/api/auth/login")
            .header("content-type", "application/json")
            .body(Body::from(
                serde_json::json!({"username": "olga", "password": password}).to_string(),
            ))
            .unwrap()
    };

    let response = router
        .clone()
        .oneshot(login("a long enough password"))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let session = cookie.split(';').next().unwrap().to_string();
    let body = json_body(response).await;
    assert_eq!(body["role"], "operator");
    let me = Request::get("/api/auth/me")
        .header("cookie", &session)
        .body(Body::empty())
        .unwrap();
    let response = router.clone().oneshot(me).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(json_body(response).await["name"], "olga");

    for _ in 0..3 {
        assert_eq!(
            router
                .clone()
                .oneshot(login("wrong"))
                .await
                .unwrap()
                .status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let response = router
        .clone()
        .oneshot(login("a long enough password"))
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "locked out even with the right password"
    );
    assert!(response.headers().contains_key("retry-after"));

    let audit = state
        .store
        .audit_log()
        .query(&store::AuditQuery {
            action: Some("login".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let results: Vec<&str> = audit
        .iter()
        .rev()
        .map(|entry| entry.result.as_str())
        .collect();
    assert_eq!(results, ["ok", "denied", "denied", "denied", "locked"]);

    let cross_site = Request::post("/api/auth/login")
        .header("content-type", "application/json")
        .header("origin", "http://evil.example")
        .header("host", "127.0.0.1:8080")
        .body(Body::from(r#"{"username":"olga","password":"x"}"#))
        .unwrap();
    assert_eq!(
        router.oneshot(cross_site).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
}
