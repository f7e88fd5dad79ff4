//! The binary as an operator runs it, with debug logs captured: a run that logs in with a
//! password, creates and uses API tokens and stores secrets leaves none of those values in
//! the logs, neither on stderr nor in the console's log viewer (`/api/console/logs`); and `serve` refuses to start when secrets are stored but no key is given.

mod support;

use support::served::{ServedBinary, add_admin, write_config};

fn random_text(prefix: &str) -> String {
    format!("{prefix}{}", viot_web::auth::secrets::random_hex(12))
}

#[tokio::test]
async fn secrets_stay_out_of_the_logs_and_serve_refuses_to_start_without_their_key() {
    let directory = tempfile::tempdir().unwrap();
    let port = support::spare_port();
    let config = write_config(directory.path(), port, "debug");
    let password = random_text("pw-");
    let wrong_password = random_text("wrong-");
    let secret_value = random_text("smtp-");
    let secret_key = viot_web::auth::secrets::random_hex(32);
    add_admin(directory.path(), "alice", &password).await;
    let server = ServedBinary::start(&config, port, &[("DETECTVIZ_SECRET_KEY", &secret_key)]).await;
    let base = server.base_url.clone();
    let client = reqwest::Client::new();

    let denied = client
        .post(format!("{base}/api/auth/login"))
        .json(&serde_json::json!({"username": "alice", "password": wrong_password}))
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), 401);
    let login = client
        .post(format!("{base}/api/auth/login"))
        .json(&serde_json::json!({"username": "alice", "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let session = login.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let csrf = login.json::<serde_json::Value>().await.unwrap()["csrf_token"]
        .as_str()
        .unwrap()
        .to_string();

    let created = client
        .post(format!("{base}/api/tokens"))
        .header("cookie", &session)
        .header("x-csrf-token", &csrf)
        .json(&serde_json::json!({"name": "ops", "scopes": ["admin", "write"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let token = created.json::<serde_json::Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();

    let stored = client
        .put(format!("{base}/api/secrets/smtp_password"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"value": secret_value}))
        .send()
        .await
        .unwrap();
    assert_eq!(stored.status(), 200);
    let listed = client
        .get(format!("{base}/api/secrets"))
        .header("authorization", format!("Token {token}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(listed.contains("smtp_password") && !listed.contains(&secret_value));
    let written = client
        .post(format!("{base}/write?db=telegraf&p={token}"))
        .body("boiler temperature=71.5")
        .send()
        .await
        .unwrap();
    assert_eq!(written.status(), 204);
    let unknown_token = random_text("dvt_");
    let refused = client
        .get(format!("{base}/api/auth/me"))
        .bearer_auth(&unknown_token)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    let logout = client
        .post(format!("{base}/api/auth/logout"))
        .header("cookie", &session)
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 204);

    let viewer_logs = client
        .get(format!("{base}/api/console/logs?limit=2000"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(viewer_logs.status(), 200);
    let viewer_logs = viewer_logs.text().await.unwrap();
    assert!(
        viewer_logs.contains("secret stored") && viewer_logs.contains("\"level\":\"debug\""),
        "the log viewer holds the debug log of the run:\n{viewer_logs}"
    );
    let logs = server.stop();
    assert!(
        logs.contains("secret stored") && logs.contains("\"level\":\"DEBUG\""),
        "the capture holds the debug log of the run:\n{logs}"
    );
    let session_id = session.strip_prefix("dv_session=").unwrap();
    for (what, value) in [
        ("password", password.as_str()),
        ("wrong password", wrong_password.as_str()),
        ("secret value", secret_value.as_str()),
        ("secret key", secret_key.as_str()),
        ("API token", token.as_str()),
        ("unknown API token", unknown_token.as_str()),
        ("session id", session_id),
        ("CSRF token", csrf.as_str()),
    ] {
        assert!(
            !logs.contains(value),
            "the {what} appears in the logs:\n{logs}"
        );
        assert!(
            !viewer_logs.contains(value),
            "the {what} appears in the log viewer:\n{viewer_logs}"
        );
    }

    let refused = std::process::Command::new(support::served::BINARY)
        .args(["--config", config.to_str().unwrap(), "serve"])
        .env_remove("DETECTVIZ_SECRET_KEY")
        .output()
        .unwrap();
    assert!(
        !refused.status.success(),
        "serve must not start without the key"
    );
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("DETECTVIZ_SECRET_KEY"), "{stderr}");
}
