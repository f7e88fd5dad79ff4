//! Detectviz served in-process on a spare port with `[auth.oidc]` pointing at a real OpenID
//! provider ([`OidcPeer`]), and the sign-in steps the OIDC tests share.

use std::net::SocketAddr;

use super::oidc_peer::{Arrival, Browser, CLIENT_ID, CLIENT_SECRET, OidcPeer};
use viot_web::AppState;
use viot_web::config::Config;

pub struct Running {
    pub state: AppState,
    pub base_url: String,
    _directory: tempfile::TempDir,
}

/// Detectviz on a spare port with `[auth.oidc]` pointing at a provider started for it.
pub async fn start(access_token_ttl_s: u64, tune: impl FnOnce(&mut Config)) -> (Running, OidcPeer) {
    let directory = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    let peer = OidcPeer::start(&base_url, access_token_ttl_s);
    let key_file = directory.path().join("secret.key");
    std::fs::write(&key_file, "ab".repeat(32)).unwrap();
    let mut config = Config::default();
    config.secrets.key_file = key_file.display().to_string();
    let repository = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    config.console.web_dir = repository.join("web");
    config.console.pages_file = repository.join("conf/pages.yaml");
    let oidc = &mut config.auth.oidc;
    oidc.enabled = true;
    oidc.issuer_url = peer.issuer.clone();
    oidc.client_id = CLIENT_ID.into();
    oidc.client_secret = viot_web::config::SecretText("secret:oidc_client_secret".into());
    oidc.public_url = base_url.clone();
    tune(&mut config);
    let state = super::test_state(directory.path(), config.clone()).await;
    let keys = viot_web::secret_store::SecretKeys::load(&config.secrets).unwrap();
    viot_web::secret_store::SecretStore::new(state.store.clone(), keys)
        .set("oidc_client_secret", CLIENT_SECRET, "test")
        .await
        .unwrap();
    let router = viot_web::app(state.clone());
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    let running = Running {
        state,
        base_url,
        _directory: directory,
    };
    (running, peer)
}

/// Signs in as `login`; returns the CSRF token of the new session.
pub async fn sign_in(running: &Running, browser: &mut Browser, login: &str) -> (String, bool) {
    let start = format!(
        "{}/auth/oidc/login?return_to=/pages/alerts",
        running.base_url
    );
    let (arrival, login_form_shown) = browser.follow_to_callback(&start, login).await;
    let Arrival::Callback(callback) = arrival else {
        panic!("the provider did not send the browser back");
    };
    let response = browser.get(&callback).await;
    assert_eq!(response.status(), 303, "{}", response.text().await.unwrap());
    assert_eq!(response.headers()["location"], "/pages/alerts");
    assert!(browser.cookies.contains_key("dv_session"));
    let me: serde_json::Value = browser
        .call(
            reqwest::Method::GET,
            &format!("{}/api/auth/me", running.base_url),
            "",
        )
        .await
        .json()
        .await
        .unwrap();
    (
        me["csrf_token"].as_str().unwrap().to_string(),
        login_form_shown,
    )
}

/// The newest `login` audit entry.
pub async fn last_login_audit(running: &Running) -> store::AuditEntry {
    let query = store::AuditQuery {
        action: Some("login".into()),
        limit: 1,
        ..Default::default()
    };
    running
        .state
        .store
        .audit_log()
        .query(&query)
        .await
        .unwrap()
        .remove(0)
}

/// Runs one sign-in whose callback should be refused; returns (status, message).
pub async fn refused_callback(
    running: &Running,
    browser: &mut Browser,
    login: &str,
) -> (u16, String) {
    let start = format!("{}/auth/oidc/login", running.base_url);
    let (Arrival::Callback(callback), _) = browser.follow_to_callback(&start, login).await else {
        panic!("the provider did not send the browser back");
    };
    let response = browser.get(&callback).await;
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().await.unwrap();
    (
        status,
        body["error"]["message"].as_str().unwrap().to_string(),
    )
}
