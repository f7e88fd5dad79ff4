//! OIDC sign-ins that must fail, against a real OpenID provider (npm `oidc-provider`):
//! doctored ID tokens (audience, issuer, expiry, signature, nonce), replayed or foreign
//! callbacks, users without a mapped role, the provider's own refusal, each audited; and a
//! rotated signing key picked up with a rate-limited JWKS refetch.

mod support;

use support::oidc_app::{last_login_audit, refused_callback, sign_in, start};
use support::oidc_peer::{Arrival, Browser};

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
    // A browser is sent back to the sign-in page, which names the reason.
    let navigation = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!(
            "{}/auth/oidc/callback?error=access_denied&state=x",
            running.base_url
        ))
        .header("accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(navigation.status(), 303);
    let location = navigation.headers()["location"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(location, "/login?oidc_error=provider_refused");
    let page = fresh
        .get(&format!("{}{location}&lang=en", running.base_url))
        .await;
    let html = page.text().await.unwrap();
    assert!(
        html.contains("id=\"oidc-error\"") && html.contains("provider_refused"),
        "{html}"
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
