//! Encrypted secrets: the admin API stores versions and answers only masked metadata, the
//! database holds only ciphertext, `secret:<name>` references resolve, and key rotation
//! re-seals every version under the new key.

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;
use viot_web::app;
use viot_web::config::Config;
use viot_web::secret_store::{SecretError, SecretKey, SecretKeys, SecretStore};

const SMTP_PASSWORD: &str = "smtp-password-7f3a9c";

async fn call(
    router: &axum::Router,
    method: &str,
    path: &str,
    token: &str,
    body: Option<serde_json::Value>,
) -> (StatusCode, String) {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(body.map_or_else(Body::empty, |body| Body::from(body.to_string())))
        .unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

#[tokio::test]
async fn secrets_are_stored_encrypted_versioned_and_never_returned() {
    let directory = tempfile::tempdir().unwrap();
    let key_file = directory.path().join("secret.key");
    std::fs::write(&key_file, format!("{}\n", "ab".repeat(32))).unwrap();
    let mut config = Config::default();
    config.secrets.key_file = key_file.display().to_string();
    let state = support::test_state(directory.path(), config.clone()).await;
    let admin = support::token_for(&state.store, "ops", &["admin"]).await;
    let reader = support::token_for(&state.store, "dashboards", &["read"]).await;
    let router = app(state.clone());
    let value = |text: &str| Some(serde_json::json!({ "value": text }));

    let (status, body) = call(
        &router,
        "PUT",
        "/api/secrets/smtp_password",
        &admin,
        value("first"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = call(
        &router,
        "PUT",
        "/api/secrets/smtp_password",
        &admin,
        value(SMTP_PASSWORD),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let stored: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(stored["version"], 2);
    assert_eq!(stored["created_by"], "token:ops");
    assert_eq!(stored["value"], "********");

    let (status, listed) = call(&router, "GET", "/api/secrets", &admin, None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, versions) = call(&router, "GET", "/api/secrets/smtp_password", &admin, None).await;
    assert_eq!(status, StatusCode::OK);
    let versions: serde_json::Value = serde_json::from_str(&versions).unwrap();
    assert_eq!(versions.as_array().unwrap().len(), 2);
    for answer in [&body, &listed, &versions.to_string()] {
        assert!(
            !answer.contains(SMTP_PASSWORD) && !answer.contains("first"),
            "{answer}"
        );
    }
    let (status, _) = call(&router, "GET", "/api/secrets", &reader, None).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a read token cannot list secrets"
    );

    let (status, body) = call(
        &router,
        "PUT",
        "/api/secrets/Bad%20Name",
        &admin,
        value("x"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("secret name"), "{body}");
    let (status, _) = call(&router, "PUT", "/api/secrets/empty", &admin, value("")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let rows = state.store.secrets().all_versions().await.unwrap();
    assert_eq!(rows.len(), 2);
    assert!(
        rows.iter()
            .all(|row| !row.ciphertext.contains(SMTP_PASSWORD))
    );

    let keys = SecretKeys::load(&config.secrets).unwrap();
    let secrets = SecretStore::new(state.store.clone(), keys);
    let resolved = secrets.resolve("secret:smtp_password").await.unwrap();
    assert_eq!(resolved.expose(), SMTP_PASSWORD);
    assert!(!format!("{resolved:?}").contains(SMTP_PASSWORD));
    assert_eq!(
        secrets.resolve("plain text").await.unwrap().expose(),
        "plain text"
    );
    assert!(matches!(
        secrets.resolve("secret:line_token").await,
        Err(SecretError::Missing(_))
    ));

    let (status, _) = call(
        &router,
        "DELETE",
        "/api/secrets/smtp_password",
        &admin,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = call(&router, "GET", "/api/secrets/smtp_password", &admin, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn without_a_key_secrets_cannot_be_set_and_the_answer_says_why() {
    let directory = tempfile::tempdir().unwrap();
    let state = support::test_state(directory.path(), Config::default()).await;
    let admin = support::token_for(&state.store, "ops", &["admin"]).await;
    let router = app(state);
    let (status, body) = call(
        &router,
        "PUT",
        "/api/secrets/slack_token",
        &admin,
        Some(serde_json::json!({"value": "xoxb-1"})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body.contains("DETECTVIZ_SECRET_KEY"), "{body}");
}

#[tokio::test]
async fn key_rotation_reseals_every_version_under_the_new_key() {
    let directory = tempfile::tempdir().unwrap();
    let state = support::test_state(directory.path(), Config::default()).await;
    let old_key = SecretKey::from_bytes([1; 32]);
    let new_key = SecretKey::from_bytes([2; 32]);
    let with_keys = |current: Option<&SecretKey>, previous: Option<&SecretKey>| {
        SecretStore::new(
            state.store.clone(),
            SecretKeys {
                current: current.cloned(),
                previous: previous.cloned(),
            },
        )
    };
    let before = with_keys(Some(&old_key), None);
    before.set("line_token", "line-1", "ada").await.unwrap();
    before.set("line_token", "line-2", "ada").await.unwrap();
    before.set("webhook_key", "hook-1", "ada").await.unwrap();

    let only_new = with_keys(Some(&new_key), None);
    assert!(matches!(
        only_new.reseal_under_current_key().await,
        Err(SecretError::UnknownKey { .. })
    ));
    let no_key = with_keys(None, None);
    assert!(matches!(
        no_key.reseal_under_current_key().await,
        Err(SecretError::NoKey)
    ));

    let rotating = with_keys(Some(&new_key), Some(&old_key));
    assert_eq!(rotating.reseal_under_current_key().await.unwrap(), 3);
    assert_eq!(rotating.reseal_under_current_key().await.unwrap(), 0);
    let rows = state.store.secrets().all_versions().await.unwrap();
    assert!(rows.iter().all(|row| row.key_id == new_key.key_id()));

    assert_eq!(
        only_new.get("line_token").await.unwrap().unwrap().expose(),
        "line-2"
    );
    assert_eq!(
        only_new.get("webhook_key").await.unwrap().unwrap().expose(),
        "hook-1"
    );
    let old_only = with_keys(Some(&old_key), None);
    assert!(old_only.get("line_token").await.is_err());
}
