//! OIDC sign-in end to end against a real OpenID provider (npm `oidc-provider`, started by
//! the test, issuing Keycloak-shaped claims): the authorization code flow with PKCE through
//! the provider's login form, the mapped role and the route book's limits on the session,
//! token refresh, single logout at both ends, and a refresh the provider refuses.

mod support;

use reqwest::Method;
use support::oidc_app::{last_login_audit, sign_in, start};
use support::oidc_peer::{Browser, CLIENT_ID, absolute, form_action, hidden_input};

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
    let listed: serde_json::Value = reqwest::Client::new()
        .get(format!("{base}/api/users"))
        .bearer_auth(&admin_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let oscar = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|listed_user| listed_user["username"] == "oscar")
        .unwrap();
    assert_eq!(oscar["oidc"], true, "{listed}");

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
