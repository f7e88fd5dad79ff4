//! `user_preferences` repository tests, each run on SQLite and on MariaDB.

use store::{NewUser, Store};

async fn create_user(store: &Store, username: &str) -> anyhow::Result<i64> {
    let user = store
        .users()
        .create(&NewUser {
            username: username.into(),
            display_name: username.into(),
            password_hash: "x".into(),
            role: "viewer".into(),
            active: true,
        })
        .await?;
    Ok(user.id)
}

async fn preferences_are_absent_until_put_then_replaced(store: &Store) -> anyhow::Result<()> {
    let alice = create_user(store, "alice").await?;
    let bob = create_user(store, "bob").await?;
    assert_eq!(store.user_preferences().get(alice).await?, None);

    store.user_preferences().put(alice, "en", "UTC").await?;
    store
        .user_preferences()
        .put(bob, "zh-TW", "Asia/Taipei")
        .await?;
    store
        .user_preferences()
        .put(alice, "zh-TW", "Europe/Berlin")
        .await?;

    let alice_preferences = store.user_preferences().get(alice).await?.expect("stored");
    assert_eq!(alice_preferences.language, "zh-TW");
    assert_eq!(alice_preferences.time_zone, "Europe/Berlin");
    let bob_preferences = store.user_preferences().get(bob).await?.expect("stored");
    assert_eq!(bob_preferences.time_zone, "Asia/Taipei");
    Ok(())
}

async fn preferences_go_with_their_user(store: &Store) -> anyhow::Result<()> {
    let carol = create_user(store, "carol").await?;
    store.user_preferences().put(carol, "en", "UTC").await?;
    store.users().delete(carol).await?;
    assert_eq!(store.user_preferences().get(carol).await?, None);
    Ok(())
}

store::test_on_both_backends!(
    preferences_are_absent_until_put_then_replaced,
    preferences_go_with_their_user,
);
