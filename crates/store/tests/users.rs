//! `users` repository tests, each run on SQLite and on MariaDB.

use store::{NewUser, Store, StoreError};

fn new_user(username: &str, role: &str) -> NewUser {
    NewUser {
        username: username.to_string(),
        display_name: format!("{username} display"),
        password_hash: format!("$argon2id$v=19$m=19456,t=2,p=1$salt${username}"),
        role: role.to_string(),
        active: true,
    }
}

async fn create_then_get_by_id_and_username(store: &Store) -> anyhow::Result<()> {
    let created = store.users().create(&new_user("alice", "admin")).await?;
    assert!(created.id > 0);
    assert_eq!(created.username, "alice");
    assert!(created.active);

    let by_id = store.users().get_by_id(created.id).await?;
    assert_eq!(by_id.as_ref(), Some(&created));
    let by_username = store.users().get_by_username("alice").await?;
    assert_eq!(by_username, Some(created));

    assert_eq!(store.users().get_by_id(999_999).await?, None);
    assert_eq!(store.users().get_by_username("nobody").await?, None);
    Ok(())
}

async fn list_orders_by_username(store: &Store) -> anyhow::Result<()> {
    for username in ["carol", "alice", "bob"] {
        store.users().create(&new_user(username, "viewer")).await?;
    }
    let usernames: Vec<String> = store
        .users()
        .list()
        .await?
        .into_iter()
        .map(|user| user.username)
        .collect();
    assert_eq!(usernames, ["alice", "bob", "carol"]);
    Ok(())
}

async fn duplicate_username_is_a_conflict(store: &Store) -> anyhow::Result<()> {
    store.users().create(&new_user("alice", "admin")).await?;
    let error = store
        .users()
        .create(&new_user("alice", "viewer"))
        .await
        .expect_err("a second alice must be rejected");
    assert!(
        matches!(error, StoreError::Conflict { .. }),
        "got {error:?}"
    );
    assert_eq!(error.to_string(), "user \"alice\" already exists");
    assert!(!error.is_unavailable());

    let different_case = store.users().create(&new_user("Alice", "viewer")).await?;
    assert_eq!(different_case.username, "Alice");
    assert_eq!(store.users().list().await?.len(), 2);
    Ok(())
}

async fn updates_role_active_and_password_hash(store: &Store) -> anyhow::Result<()> {
    let created = store.users().create(&new_user("bob", "viewer")).await?;
    store.users().update_role(created.id, "operator").await?;
    store.users().set_active(created.id, false).await?;
    store
        .users()
        .update_password_hash(created.id, "$argon2id$new")
        .await?;

    let updated = store
        .users()
        .get_by_id(created.id)
        .await?
        .expect("bob exists");
    assert_eq!(updated.role, "operator");
    assert!(!updated.active);
    assert_eq!(updated.password_hash, "$argon2id$new");
    assert_eq!(updated.created_at_ms, created.created_at_ms);
    assert!(updated.updated_at_ms >= created.updated_at_ms);

    store.users().set_active(created.id, false).await?;
    store.users().set_active(created.id, true).await?;
    let reactivated = store.users().get_by_id(created.id).await?.expect("bob");
    assert!(reactivated.active);
    Ok(())
}

async fn updating_or_deleting_a_missing_user_is_not_found(store: &Store) -> anyhow::Result<()> {
    let missing_id = 424_242;
    let results = [
        store.users().update_role(missing_id, "admin").await,
        store.users().set_active(missing_id, false).await,
        store.users().update_password_hash(missing_id, "x").await,
        store.users().delete(missing_id).await,
    ];
    for result in results {
        let error = result.expect_err("missing user");
        assert!(
            matches!(error, StoreError::NotFound { .. }),
            "got {error:?}"
        );
        assert_eq!(error.to_string(), "user 424242 not found");
    }
    Ok(())
}

async fn delete_removes_the_user(store: &Store) -> anyhow::Result<()> {
    let created = store.users().create(&new_user("dave", "viewer")).await?;
    store.users().delete(created.id).await?;
    assert_eq!(store.users().get_by_id(created.id).await?, None);
    let recreated = store.users().create(&new_user("dave", "viewer")).await?;
    assert_ne!(recreated.id, created.id);
    Ok(())
}

async fn unicode_text_round_trips(store: &Store) -> anyhow::Result<()> {
    let mut user = new_user("zoë", "viewer");
    user.display_name = "Zoë 檢測 🚨".to_string();
    let created = store.users().create(&user).await?;
    let loaded = store.users().get_by_username("zoë").await?.expect("zoë");
    assert_eq!(loaded.display_name, "Zoë 檢測 🚨");
    assert_eq!(loaded.id, created.id);
    Ok(())
}

store::test_on_both_backends!(
    create_then_get_by_id_and_username,
    list_orders_by_username,
    duplicate_username_is_a_conflict,
    updates_role_active_and_password_hash,
    updating_or_deleting_a_missing_user_is_not_found,
    delete_removes_the_user,
    unicode_text_round_trips,
);
