//! `silences` repository tests, each run on SQLite and on MariaDB.

use std::time::Duration;

use serde_json::json;
use store::{NewSilence, Store, StoreError};

const NOW_MS: i64 = 1_800_000_000_000;
const HOUR_MS: i64 = 3_600_000;

fn silence(id: &str, starts_at_ms: i64, ends_at_ms: i64) -> NewSilence {
    NewSilence {
        id: id.to_string(),
        matchers: json!([{ "name": "device", "operator": "=", "value": "pump-1" }]),
        starts_at_ms,
        ends_at_ms,
        created_by: "ops".to_string(),
        comment: "Pumpentausch".to_string(),
    }
}

fn ids(silences: &[store::SilenceRecord]) -> Vec<&str> {
    silences.iter().map(|silence| silence.id.as_str()).collect()
}

/// `created_at` is the wall clock in milliseconds: wait so each silence gets its own.
async fn next_millisecond() {
    tokio::time::sleep(Duration::from_millis(3)).await;
}

async fn upsert_inserts_then_updates(store: &Store) -> anyhow::Result<()> {
    let id = "6f1c9a52-3a7e-4a43-9a3c-0c7f2b1d9e10";
    assert_eq!(store.silences().get(id).await?, None);
    let created = store
        .silences()
        .upsert(&silence(id, NOW_MS, NOW_MS + HOUR_MS))
        .await?;
    assert_eq!(created.id, id);
    assert_eq!(created.matchers, silence(id, 0, 0).matchers);
    assert_eq!(created.starts_at_ms, NOW_MS);
    assert_eq!(created.ends_at_ms, NOW_MS + HOUR_MS);
    assert_eq!(created.created_by, "ops");
    assert_eq!(created.comment, "Pumpentausch");
    assert_eq!(created.created_at_ms, created.updated_at_ms);
    assert_eq!(created.expired_at_ms, None);
    assert_eq!(store.silences().get(id).await?, Some(created.clone()));

    next_millisecond().await;
    let mut extended = silence(id, NOW_MS, NOW_MS + 2 * HOUR_MS);
    extended.matchers = json!([]);
    extended.comment = "longer".to_string();
    let updated = store.silences().upsert(&extended).await?;
    assert_eq!(updated.ends_at_ms, NOW_MS + 2 * HOUR_MS);
    assert_eq!(updated.matchers, json!([]));
    assert_eq!(updated.comment, "longer");
    assert_eq!(
        updated.created_at_ms, created.created_at_ms,
        "creation time kept"
    );
    assert!(updated.updated_at_ms > created.updated_at_ms);
    assert_eq!(store.silences().get(id).await?, Some(updated));
    assert_eq!(store.silences().list().await?.len(), 1);
    Ok(())
}

async fn list_is_newest_first(store: &Store) -> anyhow::Result<()> {
    for id in ["s-b", "s-c", "s-a"] {
        store
            .silences()
            .upsert(&silence(id, NOW_MS, NOW_MS + HOUR_MS))
            .await?;
        next_millisecond().await;
    }
    assert_eq!(ids(&store.silences().list().await?), ["s-a", "s-c", "s-b"]);
    Ok(())
}

async fn list_active_follows_the_time_window(store: &Store) -> anyhow::Result<()> {
    store
        .silences()
        .upsert(&silence("window", NOW_MS, NOW_MS + HOUR_MS))
        .await?;
    next_millisecond().await;
    store
        .silences()
        .upsert(&silence("later", NOW_MS + HOUR_MS, NOW_MS + 2 * HOUR_MS))
        .await?;
    let silences = store.silences();

    assert!(silences.list_active(NOW_MS - 1).await?.is_empty());
    assert_eq!(ids(&silences.list_active(NOW_MS).await?), ["window"]);
    assert_eq!(
        ids(&silences.list_active(NOW_MS + HOUR_MS - 1).await?),
        ["window"]
    );
    assert_eq!(
        ids(&silences.list_active(NOW_MS + HOUR_MS).await?),
        ["later"],
        "ends_at is exclusive, starts_at inclusive"
    );
    assert!(silences.list_active(NOW_MS + 2 * HOUR_MS).await?.is_empty());

    let stored = silences.get("window").await?.expect("stored");
    assert!(!stored.is_active(NOW_MS - 1));
    assert!(stored.is_active(NOW_MS));
    assert!(!stored.is_active(NOW_MS + HOUR_MS));
    Ok(())
}

async fn expire_ends_a_silence_early_for_good(store: &Store) -> anyhow::Result<()> {
    store
        .silences()
        .upsert(&silence("s1", NOW_MS, NOW_MS + HOUR_MS))
        .await?;
    store
        .silences()
        .upsert(&silence("s2", NOW_MS, NOW_MS + HOUR_MS))
        .await?;
    let expired_at = NOW_MS + 10;
    store.silences().expire("s1", expired_at).await?;

    let expired = store.silences().get("s1").await?.expect("stored");
    assert_eq!(expired.expired_at_ms, Some(expired_at));
    assert_eq!(expired.updated_at_ms, expired_at);
    assert!(!expired.is_active(NOW_MS + 20));
    assert_eq!(
        ids(&store.silences().list_active(NOW_MS + 20).await?),
        ["s2"]
    );
    assert_eq!(store.silences().list().await?.len(), 2, "still listed");

    store.silences().expire("s1", NOW_MS + 30).await?;
    let expired_again = store.silences().get("s1").await?.expect("stored");
    assert_eq!(expired_again, expired, "expiring again changes nothing");

    store
        .silences()
        .upsert(&silence("s1", NOW_MS, NOW_MS + 2 * HOUR_MS))
        .await?;
    let upserted = store.silences().get("s1").await?.expect("stored");
    assert_eq!(
        upserted.expired_at_ms,
        Some(expired_at),
        "an upsert keeps it expired"
    );
    assert_eq!(
        ids(&store.silences().list_active(NOW_MS + 20).await?),
        ["s2"]
    );

    let error = store
        .silences()
        .expire("nope", NOW_MS)
        .await
        .expect_err("no such silence");
    assert!(
        matches!(error, StoreError::NotFound { .. }),
        "got {error:?}"
    );
    assert_eq!(error.to_string(), "silence \"nope\" not found");
    Ok(())
}

store::test_on_both_backends!(
    upsert_inserts_then_updates,
    list_is_newest_first,
    list_active_follows_the_time_window,
    expire_ends_a_silence_early_for_good,
);
