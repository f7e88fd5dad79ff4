//! `settings` repository tests, each run on SQLite and on MariaDB.

use serde_json::json;
use store::{Store, StoreError};

async fn put_then_get_and_list(store: &Store) -> anyhow::Result<()> {
    assert_eq!(store.settings().get("retention.days").await?, None);

    let stored = store
        .settings()
        .put("retention.days", &json!(30), "alice")
        .await?;
    store
        .settings()
        .put(
            "console.theme",
            &json!({ "dark": true, "accent": "teal" }),
            "bob",
        )
        .await?;

    let loaded = store
        .settings()
        .get("retention.days")
        .await?
        .expect("retention.days is set");
    assert_eq!(loaded, stored);
    assert_eq!(loaded.value, json!(30));
    assert_eq!(loaded.updated_by, "alice");

    let keys: Vec<String> = store
        .settings()
        .list()
        .await?
        .into_iter()
        .map(|setting| setting.key)
        .collect();
    assert_eq!(keys, ["console.theme", "retention.days"]);
    Ok(())
}

async fn put_replaces_an_existing_value(store: &Store) -> anyhow::Result<()> {
    store
        .settings()
        .put("smtp.host", &json!("a.example"), "alice")
        .await?;
    store
        .settings()
        .put("smtp.host", &json!("b.example"), "bob")
        .await?;
    store
        .settings()
        .put("smtp.host", &json!("b.example"), "bob")
        .await?;

    let settings = store.settings().list().await?;
    assert_eq!(settings.len(), 1);
    assert_eq!(settings[0].value, json!("b.example"));
    assert_eq!(settings[0].updated_by, "bob");
    Ok(())
}

async fn delete_removes_and_reports_missing(store: &Store) -> anyhow::Result<()> {
    store
        .settings()
        .put("feature.x", &json!(null), "alice")
        .await?;
    store.settings().delete("feature.x").await?;
    assert_eq!(store.settings().get("feature.x").await?, None);

    let error = store
        .settings()
        .delete("feature.x")
        .await
        .expect_err("already deleted");
    assert!(
        matches!(error, StoreError::NotFound { .. }),
        "got {error:?}"
    );
    assert_eq!(error.to_string(), "setting \"feature.x\" not found");
    Ok(())
}

store::test_on_both_backends!(
    put_then_get_and_list,
    put_replaces_an_existing_value,
    delete_removes_and_reports_missing,
);
