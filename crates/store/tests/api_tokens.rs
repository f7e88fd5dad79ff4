//! `api_tokens` repository tests, each run on SQLite and on MariaDB.

use store::{NewApiToken, Store, StoreError};

const NOW_MS: i64 = 1_800_000_000_000;
const HOUR_MS: i64 = 3_600_000;

/// A fake SHA-256 hex (64 characters) derived from `seed`.
fn fake_hash(seed: &str) -> String {
    format!("{seed:0>64}")
}

fn new_token(name: &str, expires_at_ms: Option<i64>) -> NewApiToken {
    NewApiToken {
        name: name.to_string(),
        token_hash: fake_hash(name),
        token_prefix: format!("dvt_{name}"),
        scopes: vec!["write".to_string(), "read".to_string()],
        created_by: "alice".to_string(),
        expires_at_ms,
    }
}

async fn create_then_find_active_by_hash(store: &Store) -> anyhow::Result<()> {
    let created = store.api_tokens().create(&new_token("ci", None)).await?;
    assert!(created.id > 0);
    assert_eq!(created.name, "ci");
    assert_eq!(created.token_prefix, "dvt_ci");
    assert_eq!(created.scopes, ["write", "read"]);
    assert_eq!(created.created_by, "alice");
    assert_eq!(created.last_used_at_ms, None);
    assert_eq!(created.expires_at_ms, None);
    assert_eq!(created.revoked_at_ms, None);

    let found = store
        .api_tokens()
        .find_active_by_hash(&fake_hash("ci"), NOW_MS)
        .await?;
    assert_eq!(found, Some(created));
    let unknown = store
        .api_tokens()
        .find_active_by_hash(&fake_hash("nope"), NOW_MS)
        .await?;
    assert_eq!(unknown, None);
    Ok(())
}

async fn expired_token_is_not_active(store: &Store) -> anyhow::Result<()> {
    let expires_at_ms = NOW_MS + HOUR_MS;
    let token = new_token("short", Some(expires_at_ms));
    let created = store.api_tokens().create(&token).await?;
    assert_eq!(created.expires_at_ms, Some(expires_at_ms));

    let tokens = store.api_tokens();
    let before = tokens
        .find_active_by_hash(&token.token_hash, NOW_MS)
        .await?;
    assert_eq!(before.map(|token| token.id), Some(created.id));
    let just_before = expires_at_ms - 1;
    assert!(
        tokens
            .find_active_by_hash(&token.token_hash, just_before)
            .await?
            .is_some()
    );
    assert_eq!(
        tokens
            .find_active_by_hash(&token.token_hash, expires_at_ms)
            .await?,
        None
    );
    assert_eq!(tokens.count_active(NOW_MS).await?, 1);
    assert_eq!(tokens.count_active(expires_at_ms).await?, 0);
    Ok(())
}

async fn revoked_token_is_not_active_and_revoking_twice_is_fine(
    store: &Store,
) -> anyhow::Result<()> {
    let token = new_token("revoked", None);
    let created = store.api_tokens().create(&token).await?;
    store.api_tokens().revoke(created.id, NOW_MS).await?;
    store
        .api_tokens()
        .revoke(created.id, NOW_MS + HOUR_MS)
        .await?;

    let found = store
        .api_tokens()
        .find_active_by_hash(&token.token_hash, NOW_MS)
        .await?;
    assert_eq!(found, None);
    let listed = store.api_tokens().list().await?;
    assert_eq!(listed.len(), 1);
    assert_eq!(
        listed[0].revoked_at_ms,
        Some(NOW_MS),
        "first revocation kept"
    );
    assert_eq!(store.api_tokens().count_active(NOW_MS).await?, 0);
    Ok(())
}

async fn revoking_or_touching_a_missing_token_is_not_found(store: &Store) -> anyhow::Result<()> {
    let missing_id = 424_242;
    let results = [
        store.api_tokens().revoke(missing_id, NOW_MS).await,
        store.api_tokens().touch_last_used(missing_id, NOW_MS).await,
    ];
    for result in results {
        let error = result.expect_err("missing token");
        assert!(
            matches!(error, StoreError::NotFound { .. }),
            "got {error:?}"
        );
        assert_eq!(error.to_string(), "api token 424242 not found");
    }
    Ok(())
}

async fn list_is_newest_first_and_includes_revoked(store: &Store) -> anyhow::Result<()> {
    let mut ids = Vec::new();
    for name in ["first", "second", "third"] {
        ids.push(store.api_tokens().create(&new_token(name, None)).await?.id);
    }
    store.api_tokens().revoke(ids[1], NOW_MS).await?;

    let names: Vec<String> = store
        .api_tokens()
        .list()
        .await?
        .into_iter()
        .map(|token| token.name)
        .collect();
    assert_eq!(names, ["third", "second", "first"]);
    assert_eq!(store.api_tokens().count_active(NOW_MS).await?, 2);
    Ok(())
}

async fn duplicate_hash_is_a_conflict(store: &Store) -> anyhow::Result<()> {
    let token = new_token("ci", None);
    let created = store.api_tokens().create(&token).await?;
    store.api_tokens().revoke(created.id, NOW_MS).await?;

    let mut same_hash = new_token("other", None);
    same_hash.token_hash = token.token_hash.clone();
    let error = store
        .api_tokens()
        .create(&same_hash)
        .await
        .expect_err("a second token with the same hash must be rejected");
    assert!(
        matches!(error, StoreError::Conflict { .. }),
        "got {error:?}"
    );
    assert!(!error.is_unavailable());
    assert!(
        !error.to_string().contains(&token.token_hash),
        "the hash stays out of messages: {error}"
    );
    assert_eq!(store.api_tokens().list().await?.len(), 1);
    Ok(())
}

async fn touch_last_used_records_the_time(store: &Store) -> anyhow::Result<()> {
    let token = new_token("used", None);
    let created = store.api_tokens().create(&token).await?;
    store
        .api_tokens()
        .touch_last_used(created.id, NOW_MS)
        .await?;
    let found = store
        .api_tokens()
        .find_active_by_hash(&token.token_hash, NOW_MS)
        .await?
        .expect("active token");
    assert_eq!(found.last_used_at_ms, Some(NOW_MS));
    assert_eq!(found.created_at_ms, created.created_at_ms);
    Ok(())
}

async fn scopes_round_trip(store: &Store) -> anyhow::Result<()> {
    let mut no_scopes = new_token("none", None);
    no_scopes.scopes = Vec::new();
    store.api_tokens().create(&no_scopes).await?;
    let mut one_scope = new_token("one", None);
    one_scope.scopes = vec!["read".to_string()];
    store.api_tokens().create(&one_scope).await?;

    let tokens = store.api_tokens();
    let none = tokens
        .find_active_by_hash(&no_scopes.token_hash, NOW_MS)
        .await?;
    assert_eq!(none.expect("none").scopes, Vec::<String>::new());
    let one = tokens
        .find_active_by_hash(&one_scope.token_hash, NOW_MS)
        .await?;
    assert_eq!(one.expect("one").scopes, ["read"]);
    Ok(())
}

store::test_on_both_backends!(
    create_then_find_active_by_hash,
    expired_token_is_not_active,
    revoked_token_is_not_active_and_revoking_twice_is_fine,
    revoking_or_touching_a_missing_token_is_not_found,
    list_is_newest_first_and_includes_revoked,
    duplicate_hash_is_a_conflict,
    touch_last_used_records_the_time,
    scopes_round_trip,
);
