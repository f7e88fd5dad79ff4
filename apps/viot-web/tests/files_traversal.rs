//! Path traversal against the file and CSV editors' API (issue #11): `../`, absolute paths,
//! URL-encoded and double-encoded forms, backslashes, NUL bytes, a symlink and a symlinked
//! directory pointing out of the root, a dangling symlink, other kinds of file. Every request
//! is refused (400 or 404) and nothing outside the root is read or written, in process and
//! against the served binary with its default roots over raw HTTP.

mod support;

use axum::http::StatusCode;
use serde_json::{Value, json};
use support::file_roots::{SECRET, call, setup, tree};

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

/// One request written byte for byte (no client normalises `..` or re-encodes anything);
/// returns the status code and the body.
async fn raw_get(port: u16, target: &str, token: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let request = format!(
        "GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {answer:?}"));
    (status, answer)
}

#[tokio::test]
async fn the_served_binary_with_the_default_roots_refuses_traversal_sent_as_raw_http() {
    use support::served::{ServedBinary, add_token, write_config};
    let directory = tempfile::tempdir().unwrap();
    let base = directory.path().canonicalize().unwrap();
    // The default roots, relative to where `serve` runs: conf/ and conf/healthcheck_targets.csv.
    std::fs::create_dir_all(base.join("conf")).unwrap();
    std::fs::create_dir_all(base.join("outside")).unwrap();
    std::fs::write(base.join("conf/app.yaml"), "a: 1\n").unwrap();
    std::fs::write(
        base.join("conf/healthcheck_targets.csv"),
        autodeploy::healthcheck::HEALTHCHECK_SAMPLE_CSV,
    )
    .unwrap();
    std::fs::write(base.join("outside/secret.yaml"), SECRET).unwrap();
    std::os::unix::fs::symlink("../outside/secret.yaml", base.join("conf/link.yaml")).unwrap();
    let port = support::spare_port();
    let config = write_config(&base, port, "warn");
    let token = add_token(&base, "admin", &["admin"]).await;
    let server = ServedBinary::start(&config, port, &[]).await;

    let encoded_absolute = base
        .join("outside/secret.yaml")
        .display()
        .to_string()
        .replace('/', "%2F");
    let attacks = [
        "/api/files/conf/../outside/secret.yaml".to_string(),
        "/api/files/conf/..%2Foutside%2Fsecret.yaml".to_string(),
        "/api/files/conf/%2e%2e%2foutside%2fsecret.yaml".to_string(),
        "/api/files/conf/%252e%252e%252foutside%252fsecret.yaml".to_string(),
        "/api/files/conf/link.yaml".to_string(),
        "/api/files/conf/app.yaml%00".to_string(),
        "/api/files/healthcheck/..%2Fconf%2Fapp.yaml".to_string(),
        "/api/files/healthcheck/..%2Foutside%2Fsecret.yaml".to_string(),
        format!("/api/files/conf/{encoded_absolute}"),
        "/api/files/conf/..%2F..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd".to_string(),
    ];
    for attack in &attacks {
        let (status, answer) = raw_get(port, attack, &token).await;
        assert!(
            status == 400 || status == 404,
            "{attack} must be refused, got {answer}"
        );
        assert!(!answer.contains("hunter2"), "{attack} leaked: {answer}");
        assert!(!answer.contains("root:"), "{attack} leaked: {answer}");
    }
    let (status, answer) = raw_get(port, "/api/files/conf/app.yaml", &token).await;
    assert_eq!(status, 200, "{answer}");
    let (status, answer) = raw_get(
        port,
        "/api/files/healthcheck/healthcheck_targets.csv",
        &token,
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert!(answer.contains("ssh-gateway"), "{answer}");
    let (_, listing) = raw_get(port, "/api/files", &token).await;
    assert!(
        listing.contains("\"app.yaml\"") && !listing.contains("link.yaml"),
        "{listing}"
    );
    server.stop();
}
