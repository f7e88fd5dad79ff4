//! Path traversal against the file and CSV editors' API (issue #11): `../`, absolute paths,
//! URL-encoded and double-encoded forms, backslashes, NUL bytes, a symlink and a symlinked
//! directory pointing out of the root, a dangling symlink, other kinds of file. Every request
//! is refused (400 or 404) and nothing outside the root is read or written.

mod support;

use axum::http::StatusCode;
use serde_json::{Value, json};
use support::file_roots::{call, setup, tree};

#[tokio::test]
async fn path_traversal_is_refused_and_nothing_outside_the_root_is_read_or_written() {
    let setup = setup(|_| {}).await;
    let outside_before = tree(&setup.base.join("outside"));
    let absolute = setup.base.join("outside/secret.yaml").display().to_string();
    let encoded_absolute = absolute.replace('/', "%2F");
    let attacks = [
        "..%2Foutside%2Fsecret.yaml".to_string(),
        "../outside/secret.yaml".to_string(),
        "../../outside/secret.yaml".to_string(),
        "%2e%2e%2foutside%2fsecret.yaml".to_string(),
        "%2E%2E%2Foutside%2Fsecret.yaml".to_string(),
        "%252e%252e%252foutside%252fsecret.yaml".to_string(),
        "..%252Foutside%252Fsecret.yaml".to_string(),
        "sub%2F..%2F..%2Foutside%2Fsecret.yaml".to_string(),
        "sub%2F%2E%2E%2F%2E%2E%2Foutside%2Fsecret.yaml".to_string(),
        "..%5Coutside%5Csecret.yaml".to_string(),
        encoded_absolute.clone(),
        format!("%2F%2F{}", encoded_absolute.trim_start_matches("%2F")),
        "link.yaml".to_string(),
        "linkdir%2Fsecret.yaml".to_string(),
        "linkdir%2Fnew.yaml".to_string(),
        "dangling.yaml".to_string(),
        "app.yaml%00.yaml".to_string(),
        "..%2Foutside%2Fnew.yaml".to_string(),
        "notes.bin".to_string(),
        "sub".to_string(),
    ];
    let save = json!({"content": "secret: overwritten\n", "message": "attack"});
    let content = json!({"content": "secret: overwritten\n"});
    let mut checked = 0;
    for attack in &attacks {
        for root in ["conf", "healthcheck"] {
            let file_uri = format!("/api/files/{root}/{attack}");
            let requests = [
                ("GET", file_uri.clone(), None),
                ("PUT", file_uri.clone(), Some(save.clone())),
                (
                    "POST",
                    format!("{file_uri}/validate"),
                    Some(content.clone()),
                ),
                ("POST", format!("{file_uri}/diff"), Some(content.clone())),
                ("GET", format!("{file_uri}/snapshots"), None),
                ("POST", format!("{file_uri}/snapshots/1/restore"), None),
            ];
            for (method, uri, body) in requests {
                let (status, text) = call(&setup.router, method, &uri, &setup.admin, body).await;
                assert!(
                    status == StatusCode::BAD_REQUEST || status == StatusCode::NOT_FOUND,
                    "{method} {uri} must be refused, got {status}: {text}"
                );
                assert!(!text.contains("hunter2"), "{method} {uri} leaked: {text}");
                checked += 1;
            }
        }
    }
    assert!(checked >= 200);
    assert_eq!(
        tree(&setup.base.join("outside")),
        outside_before,
        "nothing outside the root changed"
    );
    assert_eq!(
        std::fs::read_link(setup.base.join("conf/link.yaml")).unwrap(),
        setup.base.join("outside/secret.yaml"),
        "the symlink itself is left alone"
    );
    let snapshots = setup.state.store.file_snapshots();
    assert_eq!(
        snapshots.next_version("conf", "link.yaml").await.unwrap(),
        1
    );

    // The reasons are named, the way a user would read them.
    let (status, text) = call(
        &setup.router,
        "GET",
        "/api/files/conf/link.yaml",
        &setup.admin,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text.contains("out of its root"), "{text}");
    let (_, text) = call(
        &setup.router,
        "GET",
        "/api/files/conf/%252e%252e%252fx.yaml",
        &setup.admin,
        None,
    )
    .await;
    assert!(text.contains("percent-encoded"), "{text}");

    // The listing shows only what may be opened: no symlink out, no other kinds.
    let (status, text) = call(&setup.router, "GET", "/api/files", &setup.admin, None).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let listing: Value = serde_json::from_str(&text).unwrap();
    let conf_files: Vec<&str> = listing["roots"][0]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|file| file["path"].as_str().unwrap())
        .collect();
    assert_eq!(conf_files, ["app.yaml", "sub/nested.toml"]);
    let healthcheck = &listing["roots"][1];
    assert_eq!(healthcheck["single_file"], true);
    assert_eq!(healthcheck["files"][0]["path"], "targets.csv");
    assert_eq!(healthcheck["files"][0]["exists"], false);
    assert_eq!(healthcheck["csv_header"][0], "name");
}
