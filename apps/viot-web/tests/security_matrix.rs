//! The role matrix and CSRF, enumerated from the route book: every route lets its own role
//! through, every cookie-authenticated change without the CSRF token is refused, and the
//! OpenAPI document lists exactly the routes of the book. Session cookies: Secure behind
//! https, Max-Age from the config, expired sessions refused.

mod support;

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;
use viot_web::app;
use viot_web::auth::{Access, UserRole};
use viot_web::config::Config;
use viot_web::routes::route_book;

fn concrete_path(path: &str) -> String {
    path.replace("{id}", "1")
        .replace("{name}", "some_name")
        .replace("{fingerprint}", "0000")
}

fn request(method: &Method, path: &str, headers: &[(&str, &str)]) -> Request<Body> {
    let mut builder = Request::builder()
        .method(method.clone())
        .uri(concrete_path(path))
        .header("content-type", "application/json");
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(Body::from("{}")).unwrap()
}

async fn body_text(response: axum::response::Response) -> String {
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8_lossy(&bytes).into_owned()
}

fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

#[tokio::test]
async fn every_route_lets_its_role_through_and_every_cookie_change_needs_csrf() {
    let directory = tempfile::tempdir().unwrap();
    let state = support::test_state(directory.path(), Config::default()).await;
    let write_token = format!(
        "Bearer {}",
        support::token_for(&state.store, "telegraf", &["write"]).await
    );
    let entries = route_book(state.clone()).entries().to_vec();
    let store = state.store.clone();
    let router = app(state);

    let mut csrf_checked = 0;
    for (index, entry) in entries
        .iter()
        .enumerate()
        .filter(|(_, entry)| entry.access != Access::Public)
    {
        // A session of its own per route: logout ends the one it is called with.
        let role = match entry.access {
            Access::Role(UserRole::Viewer) => "viewer",
            Access::Role(UserRole::Operator) | Access::WriteMetrics => "operator",
            Access::Role(UserRole::Admin) | Access::Public => "admin",
        };
        let (cookie, csrf) = support::session_for(&store, &format!("{role}{index}"), role).await;
        let allowed: Vec<(&str, &str)> = if entry.access == Access::WriteMetrics {
            vec![("authorization", write_token.as_str())]
        } else {
            vec![("cookie", cookie.as_str()), ("x-csrf-token", csrf.as_str())]
        };
        // First without the token: a successful call may change what the session can do.
        if changes_state(&entry.method) {
            csrf_checked += 1;
            for presented in [None, Some("wrong-token")] {
                let mut headers = vec![("cookie", cookie.as_str())];
                if let Some(token) = presented {
                    headers.push(("x-csrf-token", token));
                }
                let response = router
                    .clone()
                    .oneshot(request(&entry.method, entry.path, &headers))
                    .await
                    .unwrap();
                assert_eq!(
                    response.status(),
                    StatusCode::FORBIDDEN,
                    "{} {} with a session cookie and CSRF {presented:?}",
                    entry.method,
                    entry.path
                );
                assert!(body_text(response).await.contains("CSRF"));
            }
        }
        let response = router
            .clone()
            .oneshot(request(&entry.method, entry.path, &allowed))
            .await
            .unwrap();
        let status = response.status();
        assert!(
            status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN,
            "{} {} with its own role {:?} got {status}: {}",
            entry.method,
            entry.path,
            entry.access,
            body_text(response).await
        );
    }
    assert!(csrf_checked >= 15, "only {csrf_checked} changing routes");
}

#[tokio::test]
async fn the_openapi_document_lists_exactly_the_routes_of_the_book() {
    let directory = tempfile::tempdir().unwrap();
    let state = support::test_state(directory.path(), Config::default()).await;
    let book: BTreeSet<(String, String)> = route_book(state.clone())
        .entries()
        .iter()
        .map(|entry| (entry.method.to_string(), entry.path.to_string()))
        .collect();
    let catalog: BTreeSet<(String, String)> = viot_web::routes::openapi_catalog::catalog()
        .iter()
        .map(|route_doc| (route_doc.method.to_string(), route_doc.path.to_string()))
        .collect();
    assert_eq!(
        book.difference(&catalog).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "routes without an entry in routes/openapi_catalog.rs"
    );
    assert_eq!(
        catalog.difference(&book).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "catalog entries for routes that do not exist"
    );

    let router = app(state);
    let response = router
        .oneshot(
            Request::get("/api/openapi.json")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "public: no credentials");
    let document: serde_json::Value = serde_json::from_str(&body_text(response).await).unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    let mut served = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            served.insert((method.to_ascii_uppercase(), path.clone()));
            assert_ne!(operation["summary"], "(undocumented)", "{method} {path}");
        }
    }
    assert_eq!(served, book);
    let set_secret = &document["paths"]["/api/secrets/{name}"]["put"];
    assert_eq!(
        set_secret["requestBody"]["content"]["application/json"]["schema"]["required"][0],
        "value"
    );
    assert!(
        document["paths"]["/api/health"]["get"]
            .get("security")
            .is_none()
    );
    assert!(set_secret["security"].is_array());
}

#[tokio::test]
async fn session_cookies_are_secure_behind_https_expire_and_stale_sessions_are_refused() {
    let directory = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.auth.session_idle_minutes = 30;
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
    let login = |forwarded: Option<(&str, &str)>| {
        let mut builder =
            Request::post("/api/auth/login").header("content-type", "application/json");
        if let Some((name, value)) = forwarded {
            builder = builder.header(name, value);
        }
        builder
            .body(Body::from(
                r#"{"username":"olga","password":"a long enough password"}"#,
            ))
            .unwrap()
    };
    let cookie_of = |response: &axum::response::Response| {
        response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .to_string()
    };

    let plain = router.clone().oneshot(login(None)).await.unwrap();
    let plain_cookie = cookie_of(&plain);
    assert!(!plain_cookie.contains("Secure"), "{plain_cookie}");
    assert!(plain_cookie.contains("Max-Age=1800"), "{plain_cookie}");
    for header in [
        ("x-forwarded-proto", "https"),
        ("forwarded", "for=10.0.0.1;proto=https"),
    ] {
        let behind_proxy = router.clone().oneshot(login(Some(header))).await.unwrap();
        let cookie = cookie_of(&behind_proxy);
        assert!(cookie.contains("; Secure"), "{header:?}: {cookie}");
        assert!(cookie.contains("HttpOnly"));
    }

    let (cookie, _) = support::session_for(&state.store, "stale", "admin").await;
    let session_id = cookie.strip_prefix("dv_session=").unwrap();
    let session_hash = viot_web::auth::secrets::digest(session_id);
    let past = chrono::Utc::now().timestamp_millis() - 1_000;
    state
        .store
        .sessions()
        .touch(&session_hash, past - 10_000, past)
        .await
        .unwrap();
    let me = Request::get("/api/auth/me")
        .header("cookie", &cookie)
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        router.oneshot(me).await.unwrap().status(),
        StatusCode::UNAUTHORIZED,
        "an expired session is no session"
    );
}
