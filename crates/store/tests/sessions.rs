//! `sessions` repository tests, each run on SQLite and on MariaDB.

use store::{NewSession, NewUser, Store, StoreError, User};

const NOW_MS: i64 = 1_800_000_000_000;
const HOUR_MS: i64 = 3_600_000;

/// A fake SHA-256 hex (64 characters) derived from `seed`.
fn fake_hash(seed: &str) -> String {
    format!("{seed:0>64}")
}

async fn create_user(store: &Store, username: &str) -> anyhow::Result<User> {
    let user = store
        .users()
        .create(&NewUser {
            username: username.to_string(),
            display_name: format!("{username} display"),
            password_hash: "$argon2id$hash".to_string(),
            role: "operator".to_string(),
            active: true,
        })
        .await?;
    Ok(user)
}

fn new_session(seed: &str, user_id: i64, expires_at_ms: i64) -> NewSession {
    NewSession {
        session_hash: fake_hash(seed),
        user_id,
        csrf_token: format!("csrf-{seed}"),
        expires_at_ms,
        source_ip: Some("192.0.2.7".to_string()),
        user_agent: Some("Mozilla/5.0".to_string()),
    }
}

async fn find_valid_returns_the_session_and_its_user(store: &Store) -> anyhow::Result<()> {
    let alice = create_user(store, "alice").await?;
    let session = new_session("s1", alice.id, NOW_MS + HOUR_MS);
    store.sessions().create(&session).await?;

    let found = store
        .sessions()
        .find_valid(&session.session_hash, NOW_MS)
        .await?
        .expect("valid session");
    assert_eq!(found.session.user_id, alice.id);
    assert_eq!(found.session.csrf_token, "csrf-s1");
    assert_eq!(found.session.expires_at_ms, NOW_MS + HOUR_MS);
    assert_eq!(found.session.last_seen_at_ms, found.session.created_at_ms);
    assert_eq!(found.session.source_ip.as_deref(), Some("192.0.2.7"));
    assert_eq!(found.session.user_agent.as_deref(), Some("Mozilla/5.0"));
    assert_eq!(found.user.id, alice.id);
    assert_eq!(found.user.username, "alice");
    assert_eq!(found.user.display_name, "alice display");
    assert_eq!(found.user.role, "operator");
    assert!(found.user.active);

    let unknown = store
        .sessions()
        .find_valid(&fake_hash("nope"), NOW_MS)
        .await?;
    assert_eq!(unknown, None);
    Ok(())
}

async fn expired_session_is_not_valid_and_touch_slides_expiry(store: &Store) -> anyhow::Result<()> {
    let alice = create_user(store, "alice").await?;
    let session = new_session("s1", alice.id, NOW_MS + HOUR_MS);
    store.sessions().create(&session).await?;
    let hash = &session.session_hash;

    let sessions = store.sessions();
    assert!(
        sessions
            .find_valid(hash, NOW_MS + HOUR_MS - 1)
            .await?
            .is_some()
    );
    assert_eq!(sessions.find_valid(hash, NOW_MS + HOUR_MS).await?, None);

    let seen_at_ms = NOW_MS + HOUR_MS / 2;
    sessions
        .touch(hash, seen_at_ms, NOW_MS + 3 * HOUR_MS)
        .await?;
    let touched = sessions
        .find_valid(hash, NOW_MS + 2 * HOUR_MS)
        .await?
        .expect("expiry slid forward");
    assert_eq!(touched.session.last_seen_at_ms, seen_at_ms);
    assert_eq!(touched.session.expires_at_ms, NOW_MS + 3 * HOUR_MS);

    sessions.touch(&fake_hash("gone"), NOW_MS, NOW_MS).await?;
    Ok(())
}

async fn inactive_users_session_is_not_found(store: &Store) -> anyhow::Result<()> {
    let bob = create_user(store, "bob").await?;
    let session = new_session("s1", bob.id, NOW_MS + HOUR_MS);
    store.sessions().create(&session).await?;
    store.users().set_active(bob.id, false).await?;
    let found = store
        .sessions()
        .find_valid(&session.session_hash, NOW_MS)
        .await?;
    assert_eq!(found, None);

    store.users().set_active(bob.id, true).await?;
    let found = store
        .sessions()
        .find_valid(&session.session_hash, NOW_MS)
        .await?;
    assert_eq!(found.map(|found| found.user.id), Some(bob.id));
    Ok(())
}

async fn deleting_a_user_removes_their_sessions(store: &Store) -> anyhow::Result<()> {
    let alice = create_user(store, "alice").await?;
    let bob = create_user(store, "bob").await?;
    for (seed, user_id) in [("a1", alice.id), ("a2", alice.id), ("b1", bob.id)] {
        store
            .sessions()
            .create(&new_session(seed, user_id, NOW_MS + HOUR_MS))
            .await?;
    }
    store.users().delete(alice.id).await?;

    assert_eq!(store.sessions().delete_for_user(alice.id).await?, 0);
    let sessions = store.sessions();
    assert_eq!(sessions.find_valid(&fake_hash("a1"), NOW_MS).await?, None);
    assert!(
        sessions
            .find_valid(&fake_hash("b1"), NOW_MS)
            .await?
            .is_some()
    );
    assert_eq!(
        sessions.delete_expired(i64::MAX).await?,
        1,
        "only bob's left"
    );
    Ok(())
}

async fn delete_and_delete_for_user(store: &Store) -> anyhow::Result<()> {
    let alice = create_user(store, "alice").await?;
    let bob = create_user(store, "bob").await?;
    for (seed, user_id) in [("a1", alice.id), ("a2", alice.id), ("b1", bob.id)] {
        store
            .sessions()
            .create(&new_session(seed, user_id, NOW_MS + HOUR_MS))
            .await?;
    }
    let sessions = store.sessions();
    sessions.delete(&fake_hash("b1")).await?;
    sessions.delete(&fake_hash("b1")).await?;
    assert_eq!(sessions.find_valid(&fake_hash("b1"), NOW_MS).await?, None);

    assert_eq!(sessions.delete_for_user(alice.id).await?, 2);
    assert_eq!(sessions.delete_for_user(alice.id).await?, 0);
    assert_eq!(sessions.find_valid(&fake_hash("a2"), NOW_MS).await?, None);
    Ok(())
}

async fn delete_expired_counts_only_expired_sessions(store: &Store) -> anyhow::Result<()> {
    let alice = create_user(store, "alice").await?;
    let expiries = [NOW_MS - HOUR_MS, NOW_MS, NOW_MS + 1, NOW_MS + HOUR_MS];
    for (index, expires_at_ms) in expiries.into_iter().enumerate() {
        let session = new_session(&format!("s{index}"), alice.id, expires_at_ms);
        store.sessions().create(&session).await?;
    }
    assert_eq!(store.sessions().delete_expired(NOW_MS).await?, 2);
    assert_eq!(store.sessions().delete_expired(NOW_MS).await?, 0);
    let remaining = store
        .sessions()
        .find_valid(&fake_hash("s2"), NOW_MS)
        .await?;
    assert!(remaining.is_some());
    assert_eq!(store.sessions().delete_for_user(alice.id).await?, 2);
    Ok(())
}

async fn duplicate_hash_is_a_conflict_and_unknown_user_not_found(
    store: &Store,
) -> anyhow::Result<()> {
    let alice = create_user(store, "alice").await?;
    let session = new_session("s1", alice.id, NOW_MS + HOUR_MS);
    store.sessions().create(&session).await?;
    let error = store
        .sessions()
        .create(&session)
        .await
        .expect_err("a second session with the same hash must be rejected");
    assert!(
        matches!(error, StoreError::Conflict { .. }),
        "got {error:?}"
    );
    assert!(!error.to_string().contains(&session.session_hash));

    let orphan = new_session("s2", 424_242, NOW_MS + HOUR_MS);
    let error = store
        .sessions()
        .create(&orphan)
        .await
        .expect_err("no such user");
    assert!(
        matches!(error, StoreError::NotFound { .. }),
        "got {error:?}"
    );
    assert_eq!(error.to_string(), "user 424242 not found");
    Ok(())
}

async fn long_user_agent_is_truncated_and_optional_fields_round_trip(
    store: &Store,
) -> anyhow::Result<()> {
    let alice = create_user(store, "alice").await?;
    let mut long = new_session("long", alice.id, NOW_MS + HOUR_MS);
    long.user_agent = Some("ü".repeat(300));
    store.sessions().create(&long).await?;
    let mut bare = new_session("bare", alice.id, NOW_MS + HOUR_MS);
    bare.source_ip = None;
    bare.user_agent = None;
    store.sessions().create(&bare).await?;

    let sessions = store.sessions();
    let found = sessions.find_valid(&long.session_hash, NOW_MS).await?;
    let user_agent = found.expect("long").session.user_agent.expect("agent");
    assert_eq!(user_agent, "ü".repeat(255));
    let found = sessions.find_valid(&bare.session_hash, NOW_MS).await?;
    let session = found.expect("bare").session;
    assert_eq!(session.source_ip, None);
    assert_eq!(session.user_agent, None);
    Ok(())
}

store::test_on_both_backends!(
    find_valid_returns_the_session_and_its_user,
    expired_session_is_not_valid_and_touch_slides_expiry,
    inactive_users_session_is_not_found,
    deleting_a_user_removes_their_sessions,
    delete_and_delete_for_user,
    delete_expired_counts_only_expired_sessions,
    duplicate_hash_is_a_conflict_and_unknown_user_not_found,
    long_user_agent_is_truncated_and_optional_fields_round_trip,
);
