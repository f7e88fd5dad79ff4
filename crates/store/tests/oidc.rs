//! `oidc_identities` and `oidc_sessions` repository tests, each run on SQLite and on MariaDB.

use store::{NewSession, NewUser, OidcSession, SealedRefreshToken, Store, StoreError};

async fn user_with_session(
    store: &Store,
    username: &str,
    session_hash: &str,
) -> anyhow::Result<i64> {
    let user = store
        .users()
        .create(&NewUser {
            username: username.to_string(),
            display_name: username.to_string(),
            password_hash: "!oidc".to_string(),
            role: "viewer".to_string(),
            active: true,
        })
        .await?;
    store
        .sessions()
        .create(&NewSession {
            session_hash: session_hash.to_string(),
            user_id: user.id,
            csrf_token: "csrf".to_string(),
            expires_at_ms: i64::MAX / 2,
            source_ip: None,
            user_agent: None,
        })
        .await?;
    Ok(user.id)
}

async fn identities_link_once_and_sessions_keep_and_update_tokens(
    store: &Store,
) -> anyhow::Result<()> {
    let hash = format!("{:0>64}", "s1");
    let user_id = user_with_session(store, "kc-alice", &hash).await?;
    let issuer = "https://kc.example/realms/plant";
    assert_eq!(store.oidc().user_for_subject(issuer, "sub-1").await?, None);
    assert!(!store.oidc().is_oidc_user(user_id).await?);
    store.oidc().link(user_id, issuer, "sub-1").await?;
    store.oidc().touch_identity(user_id).await?;
    assert_eq!(
        store.oidc().user_for_subject(issuer, "sub-1").await?,
        Some(user_id)
    );
    assert_eq!(
        store
            .oidc()
            .user_for_subject("https://other", "sub-1")
            .await?,
        None
    );
    assert!(store.oidc().is_oidc_user(user_id).await?);
    assert_eq!(store.oidc().linked_user_ids().await?, vec![user_id]);
    let second = user_with_session(store, "kc-bob", &format!("{:0>64}", "s2")).await?;
    assert!(matches!(
        store.oidc().link(second, issuer, "sub-1").await,
        Err(StoreError::Conflict { .. })
    ));

    let sealed = SealedRefreshToken {
        ciphertext: "Y2lwaGVy".into(),
        nonce: "bm9uY2U=".into(),
        key_id: "k1".into(),
    };
    let session = OidcSession {
        session_hash: hash.clone(),
        user_id,
        id_token: "header.payload.signature".into(),
        refresh_token: sealed.clone(),
        access_expires_at_ms: 1_000,
        created_at_ms: 500,
        refreshed_at_ms: 500,
    };
    store.oidc().create_session(&session).await?;
    assert_eq!(store.oidc().find_session(&hash).await?, Some(session));
    let rotated = SealedRefreshToken {
        ciphertext: "bmV3".into(),
        ..sealed
    };
    store
        .oidc()
        .update_tokens(&hash, "new.id.token", &rotated, 2_000)
        .await?;
    let updated = store
        .oidc()
        .find_session(&hash)
        .await?
        .expect("still there");
    assert_eq!(updated.id_token, "new.id.token");
    assert_eq!(updated.refresh_token, rotated);
    assert_eq!(updated.access_expires_at_ms, 2_000);

    // Logout deletes the session, and its OIDC side with it.
    store.sessions().delete(&hash).await?;
    assert_eq!(store.oidc().find_session(&hash).await?, None);
    // Deleting the user removes the link.
    store.users().delete(user_id).await?;
    assert_eq!(store.oidc().user_for_subject(issuer, "sub-1").await?, None);
    Ok(())
}

store::test_on_both_backends!(identities_link_once_and_sessions_keep_and_update_tokens);
