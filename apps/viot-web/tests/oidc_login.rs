//! OIDC sign-in end to end against a real OpenID provider (npm `oidc-provider`, started by
//! the test, issuing Keycloak-shaped claims): the authorization code flow with PKCE through
//! the provider's login form, the mapped role and the route book's limits on the session,
//! token refresh, single logout at both ends, refused ID tokens (audience, issuer, expiry,
//! signature, nonce) and callbacks (replayed state, another browser), each audited, and a
//! rotated signing key picked up with a rate-limited JWKS refetch.

mod support;

use std::net::SocketAddr;

use reqwest::Method;
use support::oidc_peer::{
    Arrival, Browser, CLIENT_ID, CLIENT_SECRET, OidcPeer, absolute, form_action, hidden_input,
};
use viot_web::AppState;
use viot_web::config::Config;

struct Running {
    state: AppState,
    base_url: String,
    _directory: tempfile::TempDir,
}

/// Detectviz on a spare port with `[auth.oidc]` pointing at a provider started for it.
async fn start(access_token_ttl_s: u64, tune: impl FnOnce(&mut Config)) -> (Running, OidcPeer) {
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
    let state = support::test_state(directory.path(), config.clone()).await;
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
async fn sign_in(running: &Running, browser: &mut Browser, login: &str) -> (String, bool) {
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
            Method::GET,
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
async fn last_login_audit(running: &Running) -> store::AuditEntry {
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

async fn status_of(browser: &mut Browser, method: Method, url: String, csrf: &str) -> u16 {
    browser.call(method, &url, csrf).await.status().as_u16()
}

#[tokio::test]
async fn sign_in_maps_the_role_refreshes_and_logs_out_at_both_ends() {
    // Access tokens live 20 s and are refreshed within 60 s of expiry: every use refreshes.
    let (running, peer) = start(20, |config| config.auth.oidc.refresh_before_expiry_s = 60).await;
    let base = running.base_url.clone();
    let mut browser = Browser::default();

    // The sign-in page offers the provider.
    let login_page = browser
        .get(&format!("{base}/login"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        login_page.contains("href=\"/auth/oidc/login\""),
        "{login_page}"
    );
    assert!(login_page.contains("Keycloak"));

    let (csrf, login_form_shown) = sign_in(&running, &mut browser, "oscar").await;
    assert!(login_form_shown, "a fresh browser signs in at the provider");
    let entry = last_login_audit(&running).await;
    assert_eq!(
        (entry.actor.as_str(), entry.result.as_str()),
        ("oscar", "ok")
    );
    assert_eq!(entry.detail["method"], "oidc");
    assert_eq!(entry.detail["role"], "operator");

    // The user is marked as OIDC, has the mapped role and no password.
    let user = running
        .state
        .store
        .users()
        .get_by_username("oscar")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.role, "operator");
    assert!(
        running
            .state
            .store
            .oidc()
            .is_oidc_user(user.id)
            .await
            .unwrap()
    );
    let password_login = browser
        .post_form(
            &format!("{base}/api/auth/login"),
            &[("username", "oscar"), ("password", "!oidc")],
        )
        .await;
    assert_eq!(password_login.status(), 401);
    let admin_token = support::token_for(&running.state.store, "setup", &["admin"]).await;
    let set_password = reqwest::Client::new()
        .patch(format!("{base}/api/users/{}", user.id))
        .bearer_auth(&admin_token)
        .json(&serde_json::json!({"password": "a long enough password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        set_password.status(),
        409,
        "an OIDC user gets no local password"
    );

    // The route book's limits apply to the session: operator yes, admin no, CSRF needed.
    assert_eq!(
        status_of(
            &mut browser,
            Method::GET,
            format!("{base}/api/alerts"),
            &csrf
        )
        .await,
        200
    );
    assert_eq!(
        status_of(
            &mut browser,
            Method::GET,
            format!("{base}/api/users"),
            &csrf
        )
        .await,
        403
    );
    let ack = format!("{base}/api/alerts/0000/ack");
    assert_eq!(
        status_of(&mut browser, Method::POST, ack.clone(), "wrong").await,
        403
    );
    let acknowledged = status_of(&mut browser, Method::POST, ack, &csrf).await;
    assert!(
        ![401, 403].contains(&acknowledged),
        "operator acknowledges: {acknowledged}"
    );

    // Each use above came within the refresh margin: the provider saw refresh grants, and the
    // stored refresh token is sealed, never the token itself.
    let refreshes = peer.stats().await["refresh_grants"].as_u64().unwrap();
    assert!(refreshes >= 1, "no refresh grant reached the provider");
    let session_hash = viot_web::auth::secrets::digest(&browser.cookies["dv_session"]);
    let stored = running
        .state
        .store
        .oidc()
        .find_session(&session_hash)
        .await
        .unwrap()
        .unwrap();
    assert!(stored.access_expires_at_ms > chrono::Utc::now().timestamp_millis());
    assert!(!stored.refresh_token.ciphertext.is_empty());

    // While the provider's session lives, signing in again needs no form (single sign-on).
    let (_, asked_again) = sign_in(&running, &mut browser, "oscar").await;
    assert!(!asked_again);
    let csrf = browser
        .call(Method::GET, &format!("{base}/api/auth/me"), "")
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap()["csrf_token"]
        .as_str()
        .unwrap()
        .to_string();

    // Logout ends the local session and names the provider's end-session URL.
    let logout = browser
        .call(Method::POST, &format!("{base}/api/auth/logout"), &csrf)
        .await;
    assert_eq!(logout.status(), 200);
    let end_session_url = logout.json::<serde_json::Value>().await.unwrap()["end_session_url"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        end_session_url.starts_with(&peer.issuer),
        "{end_session_url}"
    );
    assert!(end_session_url.contains("id_token_hint="));
    assert!(end_session_url.contains("post_logout_redirect_uri="));
    let me = browser
        .call(Method::GET, &format!("{base}/api/auth/me"), "")
        .await;
    assert_eq!(me.status(), 401, "the local session is gone");

    // The browser goes there; the provider confirms and sends it back to /login.
    let confirm_page = browser.get(&end_session_url).await.text().await.unwrap();
    let action = absolute(&end_session_url, &form_action(&confirm_page).unwrap());
    let xsrf = hidden_input(&confirm_page, "xsrf").unwrap();
    let confirmed = browser
        .post_form(&action, &[("xsrf", xsrf.as_str()), ("logout", "yes")])
        .await;
    assert_eq!(confirmed.status(), 303);
    assert_eq!(confirmed.headers()["location"], format!("{base}/login"));
    assert_eq!(peer.stats().await["logouts"], 1);

    // The provider's session ended too: the next sign-in asks for the login again.
    let (_, asked_after_logout) = sign_in(&running, &mut browser, "oscar").await;
    assert!(
        asked_after_logout,
        "the provider session survived the logout"
    );
}

/// Runs one sign-in whose callback should be refused; returns (status, message).
async fn refused_callback(running: &Running, browser: &mut Browser, login: &str) -> (u16, String) {
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

#[tokio::test]
async fn doctored_id_tokens_and_replayed_or_foreign_callbacks_are_refused_and_audited() {
    let (running, peer) = start(3600, |_| {}).await;
    let mut browser = Browser::default();
    let cases = [
        (
            "wrong_audience",
            "its audience is not detectviz",
            "invalid_id_token",
        ),
        ("wrong_issuer", "its issuer is not", "invalid_id_token"),
        ("expired", "it has expired", "invalid_id_token"),
        (
            "bad_signature",
            "its signature does not verify",
            "invalid_id_token",
        ),
        ("wrong_nonce", "nonce does not match", "nonce_mismatch"),
    ];
    for (mode, message, reason) in cases {
        peer.tamper_next_id_token(mode).await;
        let (status, error) = refused_callback(&running, &mut browser, "alice").await;
        assert_eq!(status, 401, "{mode}: {error}");
        assert!(error.contains(message), "{mode}: {error}");
        assert!(
            !browser.cookies.contains_key("dv_session"),
            "{mode} opened a session"
        );
        let entry = last_login_audit(&running).await;
        assert_eq!(entry.result, "denied", "{mode}");
        assert_eq!(entry.detail["reason"], reason, "{mode}");
    }

    // A callback opened twice: the second finds its state used.
    let start = format!("{}/auth/oidc/login", running.base_url);
    let (Arrival::Callback(callback), _) = browser.follow_to_callback(&start, "alice").await else {
        panic!("no callback");
    };
    let state_cookie = browser.cookies["dv_oidc_state"].clone();
    assert_eq!(browser.get(&callback).await.status(), 303);
    assert!(browser.cookies.contains_key("dv_session"));
    browser.cookies.insert("dv_oidc_state".into(), state_cookie);
    let replayed = browser.get(&callback).await;
    assert_eq!(replayed.status(), 401);
    let error = replayed.text().await.unwrap();
    assert!(error.contains("already used"), "{error}");
    assert_eq!(
        last_login_audit(&running).await.detail["reason"],
        "unknown_state"
    );

    // A callback opened in another browser (no state cookie): refused before the code is used.
    let (Arrival::Callback(callback), _) = browser.follow_to_callback(&start, "alice").await else {
        panic!("no callback");
    };
    let mut other_browser = Browser::default();
    let foreign = other_browser.get(&callback).await;
    assert_eq!(foreign.status(), 401);
    assert_eq!(
        last_login_audit(&running).await.detail["reason"],
        "state_mismatch"
    );

    // A provider user with none of the mapped roles is refused.
    let mut fresh = Browser::default();
    let (status, error) = refused_callback(&running, &mut fresh, "nobody").await;
    assert_eq!(status, 403, "{error}");
    assert!(error.contains("none of the roles"), "{error}");
    assert_eq!(
        last_login_audit(&running).await.detail["reason"],
        "no_mapped_role"
    );

    // The provider refusing outright (error in the callback) is audited too.
    let refused = fresh
        .get(&format!(
            "{}/auth/oidc/callback?error=access_denied&state=x",
            running.base_url
        ))
        .await;
    assert_eq!(refused.status(), 401);
    assert_eq!(
        last_login_audit(&running).await.detail["reason"],
        "provider_refused"
    );
}

#[tokio::test]
async fn a_rotated_signing_key_is_fetched_once_and_unknown_keys_are_rate_limited() {
    let (running, peer) = start(3600, |config| {
        config.auth.oidc.jwks_refetch_min_interval_s = 3600;
    })
    .await;
    let mut browser = Browser::default();
    sign_in(&running, &mut browser, "alice").await;
    assert_eq!(peer.stats().await["jwks_requests"], 1);

    // The provider rotates: the next ID token has an unknown kid, so the JWKS is fetched again.
    peer.rotate_signing_key().await;
    let mut second = Browser::default();
    sign_in(&running, &mut second, "vera").await;
    assert_eq!(peer.stats().await["jwks_requests"], 2);
    let vera = running
        .state
        .store
        .users()
        .get_by_username("vera")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(vera.role, "viewer");

    // Another unknown kid within the interval: refused without asking the provider again.
    peer.rotate_signing_key().await;
    let mut third = Browser::default();
    let (status, error) = refused_callback(&running, &mut third, "alice").await;
    assert_eq!(status, 401, "{error}");
    assert!(error.contains("does not hold"), "{error}");
    assert_eq!(peer.stats().await["jwks_requests"], 2);
    assert_eq!(
        last_login_audit(&running).await.detail["reason"],
        "unknown_signing_key"
    );
}

#[tokio::test]
async fn a_refresh_the_provider_refuses_ends_the_local_session() {
    let (running, peer) = start(3600, |_| {}).await;
    let base = running.base_url.clone();
    let mut browser = Browser::default();
    sign_in(&running, &mut browser, "vera").await;
    let session_hash = viot_web::auth::secrets::digest(&browser.cookies["dv_session"]);
    let oidc = running.state.store.oidc();
    let stored = oidc.find_session(&session_hash).await.unwrap().unwrap();

    // The provider's session ends behind Detectviz's back (its grant and refresh token go).
    let end_session = format!(
        "{}/session/end?id_token_hint={}&client_id={CLIENT_ID}",
        peer.issuer, stored.id_token
    );
    let confirm_page = browser.get(&end_session).await.text().await.unwrap();
    let action = absolute(&end_session, &form_action(&confirm_page).unwrap());
    let xsrf = hidden_input(&confirm_page, "xsrf").unwrap();
    let confirmed = browser
        .post_form(&action, &[("xsrf", xsrf.as_str()), ("logout", "yes")])
        .await;
    assert!(confirmed.status().is_redirection() || confirmed.status().is_success());

    // Still fresh: the session goes on without asking the provider.
    let me = format!("{base}/api/auth/me");
    assert_eq!(browser.call(Method::GET, &me, "").await.status(), 200);
    // Once the access token is due, the refresh is refused and the session ends.
    let past_ms = chrono::Utc::now().timestamp_millis() - 1_000;
    oidc.update_tokens(
        &session_hash,
        &stored.id_token,
        &stored.refresh_token,
        past_ms,
    )
    .await
    .unwrap();
    assert_eq!(browser.call(Method::GET, &me, "").await.status(), 401);
    assert!(
        running
            .state
            .store
            .sessions()
            .find_valid(&session_hash, 0)
            .await
            .unwrap()
            .is_none()
    );
    let query = store::AuditQuery {
        action: Some("oidc refresh".into()),
        ..Default::default()
    };
    let entries = running.state.store.audit_log().query(&query).await.unwrap();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(
        (entries[0].actor.as_str(), entries[0].result.as_str()),
        ("vera", "session ended")
    );
    assert_eq!(entries[0].detail["reason"], "provider_refused");
}
