//! The binary with debug logs, signing a user in through a real OpenID provider (npm
//! `oidc-provider`), refreshing and signing out: the client secret, the authorization code,
//! the ID and refresh tokens and the session cookie appear nowhere in the logs.

mod support;

use support::oidc_peer::{Arrival, Browser, CLIENT_ID, CLIENT_SECRET, OidcPeer};
use support::served::{ServedBinary, write_config};

#[tokio::test]
async fn an_oidc_sign_in_refresh_and_logout_leave_no_token_or_secret_in_the_logs() {
    let directory = tempfile::tempdir().unwrap();
    let port = support::spare_port();
    let base = format!("http://127.0.0.1:{port}");
    // Access tokens live 20 s and are refreshed within 60 s of expiry: every use refreshes.
    let peer = OidcPeer::start(&base, 20);
    let config = write_config(directory.path(), port, "debug");
    let oidc_section = format!(
        "\n[auth.oidc]\nenabled = true\nissuer_url = \"{}\"\nclient_id = \"{CLIENT_ID}\"\n\
         client_secret = \"{CLIENT_SECRET}\"\npublic_url = \"{base}\"\nrefresh_before_expiry_s = 60\n",
        peer.issuer
    );
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(&oidc_section);
    std::fs::write(&config, text).unwrap();
    let secret_key = viot_web::auth::secrets::random_hex(32);
    let server = ServedBinary::start(&config, port, &[("DETECTVIZ_SECRET_KEY", &secret_key)]).await;

    let mut browser = Browser::default();
    let start = format!("{base}/auth/oidc/login");
    let (Arrival::Callback(callback), _) = browser.follow_to_callback(&start, "alice").await else {
        panic!("the provider did not send the browser back");
    };
    let code = callback
        .split(['?', '&'])
        .find_map(|pair| pair.strip_prefix("code="))
        .unwrap()
        .to_string();
    assert_eq!(browser.get(&callback).await.status(), 303);
    let session_id = browser.cookies["dv_session"].clone();
    let me: serde_json::Value = browser
        .call(reqwest::Method::GET, &format!("{base}/api/auth/me"), "")
        .await
        .json()
        .await
        .unwrap();
    let csrf = me["csrf_token"].as_str().unwrap().to_string();
    assert_eq!(me["role"], "admin");
    assert!(peer.stats().await["refresh_grants"].as_u64().unwrap() >= 1);

    // The tokens as stored (the refresh token opened with the key), to look for in the logs.
    let url = format!(
        "sqlite://{}",
        directory.path().join("detectviz.db").display()
    );
    let store = store::Store::connect(&url).await.unwrap();
    let session_hash = viot_web::auth::secrets::digest(&session_id);
    let stored = store
        .oidc()
        .find_session(&session_hash)
        .await
        .unwrap()
        .unwrap();
    let keys = viot_web::secret_store::SecretKeys {
        current: Some(viot_web::secret_store::SecretKey::parse(&secret_key, "test").unwrap()),
        previous: None,
    };
    let refresh_token = viot_web::secret_store::open_detached(
        &keys,
        &stored.refresh_token.key_id,
        &viot_web::auth::oidc::sessions::refresh_context(&session_hash),
        &stored.refresh_token.ciphertext,
        &stored.refresh_token.nonce,
    )
    .unwrap();
    store.close().await;

    let logout = browser
        .call(
            reqwest::Method::POST,
            &format!("{base}/api/auth/logout"),
            &csrf,
        )
        .await;
    assert_eq!(logout.status(), 200);
    let logs = server.stop();
    assert!(logs.lines().count() > 3, "debug logs were written: {logs}");
    let secrets = [
        ("client secret", CLIENT_SECRET),
        ("authorization code", code.as_str()),
        ("session cookie", session_id.as_str()),
        ("ID token", stored.id_token.as_str()),
        ("refresh token", refresh_token.expose()),
    ];
    for (what, value) in secrets {
        assert!(value.len() >= 16, "{what} is too short to look for");
        assert!(!logs.contains(value), "the {what} is in the logs");
    }
}
