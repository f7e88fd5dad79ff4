//! The file and CSV editors' API against real files in a temporary directory: saves are
//! validated (422 with every error, file untouched), written atomically, kept as snapshots
//! and restorable; health-check CSV rows are checked one by one; roles; oversized bodies and
//! files get 413.

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use support::file_roots::{APP_YAML, call, setup};
use tower::ServiceExt;

#[tokio::test]
async fn a_save_is_validated_written_atomically_snapshotted_and_restorable() {
    let setup = setup(|_| {}).await;
    let router = &setup.router;
    let admin = setup.admin.as_str();
    let app_yaml = setup.base.join("conf/app.yaml");

    let (status, text) = call(router, "GET", "/api/files/conf/app.yaml", admin, None).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let read: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(read["content"], APP_YAML);
    assert_eq!(read["kind"], "yaml");
    let original_hash = read["hash"].as_str().unwrap().to_string();
    let (status, nested) = call(
        router,
        "GET",
        "/api/files/conf/sub%2Fnested.toml",
        admin,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{nested}");

    let invalid = json!({"content": "a: 1\nlist: [1, 2\nb: 3\n"});
    let (status, text) = call(
        router,
        "POST",
        "/api/files/conf/app.yaml/validate",
        admin,
        Some(invalid.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let checked: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(checked["valid"], false);
    assert!(
        checked["errors"][0]["line"].as_u64().unwrap() >= 2,
        "{text}"
    );

    let (status, text) = call(
        router,
        "PUT",
        "/api/files/conf/app.yaml",
        admin,
        Some(invalid),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{text}");
    let refused: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(refused["error"]["code"], "invalid_file");
    assert!(refused["error"]["errors"][0]["column"].is_u64(), "{text}");
    assert_eq!(
        std::fs::read_to_string(&app_yaml).unwrap(),
        APP_YAML,
        "untouched"
    );

    let (status, text) = call(
        router,
        "PUT",
        "/api/files/conf/sub%2Fnested.toml",
        admin,
        Some(json!({"content": "a = = 1\n"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{text}");
    assert!(text.contains("\"line\":1"), "{text}");

    let edited = "# the app\na: 2\nlist: [1, 2]\n";
    let (status, text) = call(
        router,
        "POST",
        "/api/files/conf/app.yaml/diff",
        admin,
        Some(json!({"content": edited})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let diff: Value = serde_json::from_str(&text).unwrap();
    let diff_text = diff["diff"].as_str().unwrap();
    assert!(diff_text.contains("--- a/conf/app.yaml"), "{diff_text}");
    assert!(diff_text.contains("\n-a: 1\n+a: 2\n"), "{diff_text}");
    assert_eq!(diff["changed"], true);

    let stale = json!({"content": edited, "base_hash": "0000"});
    let (status, text) = call(
        router,
        "PUT",
        "/api/files/conf/app.yaml",
        admin,
        Some(stale),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{text}");

    let save = json!({"content": edited, "message": "raise a", "base_hash": original_hash});
    let (status, text) = call(router, "PUT", "/api/files/conf/app.yaml", admin, Some(save)).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let saved: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        (
            saved["version"].as_i64(),
            saved["previous_version"].as_i64()
        ),
        (Some(2), Some(1))
    );
    assert_eq!(std::fs::read_to_string(&app_yaml).unwrap(), edited);
    let leftovers: Vec<_> = std::fs::read_dir(setup.base.join("conf"))
        .unwrap()
        .flatten()
        .filter(|entry| entry.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    let (status, text) = call(
        router,
        "GET",
        "/api/files/conf/app.yaml/snapshots",
        admin,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let versions: Vec<(i64, String, String)> = serde_json::from_str::<Vec<Value>>(&text)
        .unwrap()
        .iter()
        .map(|snapshot| {
            (
                snapshot["version"].as_i64().unwrap(),
                snapshot["author"].as_str().unwrap().to_string(),
                snapshot["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        versions[0],
        (2, "token:admin".to_string(), "raise a".to_string())
    );
    assert_eq!(versions[1].0, 1);
    assert_eq!(versions[1].1, "(on disk)");
    let (_, text) = call(
        router,
        "GET",
        "/api/files/conf/app.yaml/snapshots/1",
        admin,
        None,
    )
    .await;
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap()["content"],
        APP_YAML
    );

    let (status, text) = call(
        router,
        "POST",
        "/api/files/conf/app.yaml/snapshots/1/restore",
        admin,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap()["version"], 3);
    assert_eq!(std::fs::read_to_string(&app_yaml).unwrap(), APP_YAML);
    let (status, _) = call(
        router,
        "POST",
        "/api/files/conf/app.yaml/snapshots/9/restore",
        admin,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A file edited on disk since its last snapshot is recorded before it is replaced.
    std::fs::write(&app_yaml, "a: 5\n").unwrap();
    let (status, text) = call(
        router,
        "PUT",
        "/api/files/conf/app.yaml",
        admin,
        Some(json!({"content": "a: 6\n"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let snapshots = setup.state.store.file_snapshots();
    assert_eq!(
        snapshots
            .get("conf", "app.yaml", 4)
            .await
            .unwrap()
            .unwrap()
            .content,
        "a: 5\n"
    );
    assert_eq!(
        snapshots
            .get("conf", "app.yaml", 5)
            .await
            .unwrap()
            .unwrap()
            .content,
        "a: 6\n"
    );

    let audit = setup
        .state
        .store
        .audit_log()
        .query(&store::AuditQuery {
            action: Some("file.save".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(audit.len(), 2, "{audit:?}");
    assert_eq!(
        audit
            .iter()
            .filter(|entry| entry.target == "conf/app.yaml")
            .count(),
        2
    );

    // Roles: a viewer sees the list only, an operator reads but does not save.
    let viewer = format!(
        "Bearer {}",
        support::token_for(&setup.state.store, "viewer", &["read"]).await
    );
    let (status, _) = call(router, "GET", "/api/files", &viewer, None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call(router, "GET", "/api/files/conf/app.yaml", &viewer, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (cookie, csrf) = support::session_for(&setup.state.store, "olga", "operator").await;
    let operator = |method: &str, uri: &str, body: Option<Value>| {
        let mut request = Request::builder()
            .method(method)
            .uri(uri)
            .header("cookie", &cookie)
            .header("x-csrf-token", &csrf)
            .header("content-type", "application/json");
        request = request.header("accept", "application/json");
        request
            .body(body.map_or_else(Body::empty, |body| Body::from(body.to_string())))
            .unwrap()
    };
    let response = router
        .clone()
        .oneshot(operator("GET", "/api/files/conf/app.yaml", None))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let response = router
        .clone()
        .oneshot(operator(
            "PUT",
            "/api/files/conf/app.yaml",
            Some(json!({"content": "a: 7\n"})),
        ))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(std::fs::read_to_string(&app_yaml).unwrap(), "a: 6\n");
}

#[tokio::test]
async fn the_health_check_csv_is_checked_row_by_row_and_created_on_first_save() {
    let setup = setup(|_| {}).await;
    let router = &setup.router;
    let admin = setup.admin.as_str();
    let (status, _) = call(
        router,
        "GET",
        "/api/files/healthcheck/targets.csv",
        admin,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let invalid = "name,url,method,expected_status,timeout_seconds\n\
                   web,https://example.com/,GET,200,5\n\
                   web,ftp://example.com/,GET,200,5\n\
                   db,tcp://db:5432,,,zero\n";
    let (status, text) = call(
        router,
        "PUT",
        "/api/files/healthcheck/targets.csv",
        admin,
        Some(json!({"content": invalid})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{text}");
    let errors = serde_json::from_str::<Value>(&text).unwrap()["error"]["errors"].clone();
    let found: Vec<(u64, &str)> = errors
        .as_array()
        .unwrap()
        .iter()
        .map(|error| {
            (
                error["row"].as_u64().unwrap(),
                error["field"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(found, [(2, "name"), (3, "timeout_seconds")], "{text}");
    assert!(!setup.base.join("targets.csv").exists(), "nothing written");

    let valid = "# targets\nname,url,method,expected_status,timeout_seconds\n\
                 web,https://example.com/,GET,200,5\n\
                 db,tcp://db:5432,,,2\n";
    let (status, text) = call(
        router,
        "PUT",
        "/api/files/healthcheck/targets.csv",
        admin,
        Some(json!({"content": valid, "message": "first targets"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap()["version"], 1);
    assert_eq!(
        std::fs::read_to_string(setup.base.join("targets.csv")).unwrap(),
        valid
    );
    let (status, text) = call(
        router,
        "GET",
        "/api/files/healthcheck/targets.csv",
        admin,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let table = serde_json::from_str::<Value>(&text).unwrap()["table"].clone();
    assert_eq!(table["preamble"], json!(["# targets"]));
    assert_eq!(
        table["rows"][1],
        json!(["db", "tcp://db:5432", "", "", "2"])
    );
}

#[tokio::test]
async fn oversized_bodies_are_refused_with_413_and_the_file_is_untouched() {
    let setup = setup(|config| config.server.body_limit_bytes = 64 * 1024).await;
    let router = &setup.router;
    let admin = setup.admin.as_str();
    let app_yaml = setup.base.join("conf/app.yaml");
    // Over the editors' limit (4 KiB here) but under the server's.
    let over_file_limit = json!({"content": format!("a: \"{}\"\n", "x".repeat(5000))});
    for (method, uri) in [
        ("PUT", "/api/files/conf/app.yaml"),
        ("POST", "/api/files/conf/app.yaml/validate"),
        ("POST", "/api/files/conf/app.yaml/diff"),
    ] {
        let (status, text) = call(router, method, uri, admin, Some(over_file_limit.clone())).await;
        assert_eq!(
            status,
            StatusCode::PAYLOAD_TOO_LARGE,
            "{method} {uri}: {text}"
        );
        assert!(text.contains("payload_too_large"), "{text}");
    }
    // Over the server's body limit: refused before any handler runs.
    let over_body_limit = json!({"content": "y".repeat(100 * 1024)});
    let (status, text) = call(
        router,
        "PUT",
        "/api/files/conf/app.yaml",
        admin,
        Some(over_body_limit),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{text}");
    assert_eq!(std::fs::read_to_string(&app_yaml).unwrap(), APP_YAML);
    // A file on disk over the limit is not read.
    std::fs::write(
        setup.base.join("conf/big.json"),
        format!("[\"{}\"]", "z".repeat(5000)),
    )
    .unwrap();
    let (status, text) = call(router, "GET", "/api/files/conf/big.json", admin, None).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{text}");
}
