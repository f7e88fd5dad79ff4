//! `notifications` repository tests (the notifier's outbox), each run on SQLite and MariaDB.

use serde_json::json;
use store::{DeliveryStatus, NewNotification, Store};

const NOW_MS: i64 = 1_800_000_000_000;

fn notification(key: &str, next_attempt_at_ms: Option<i64>) -> NewNotification {
    NewNotification {
        idempotency_key: key.to_string(),
        group_key: "/0:{alertname=\"BoilerHot\"}".to_string(),
        receiver: "plant-oncall".to_string(),
        channel: "ops-webhook".to_string(),
        payload: json!({ "transition": { "fingerprint": "0a887e641d7af92d" } }),
        next_attempt_at_ms,
        now_ms: NOW_MS,
    }
}

async fn a_key_is_created_once_and_found_again(store: &Store) -> anyhow::Result<()> {
    let first = store
        .notifications()
        .claim_or_create(&notification("k1", Some(NOW_MS + 30_000)))
        .await?;
    assert!(first.created);
    assert!(!first.already_sent());
    assert_eq!(first.record.status, DeliveryStatus::Pending);
    assert_eq!(first.record.attempts, 0);
    assert_eq!(first.record.next_attempt_at_ms, Some(NOW_MS + 30_000));
    assert_eq!(first.record.payload, notification("k1", None).payload);

    let again = store
        .notifications()
        .claim_or_create(&notification("k1", None))
        .await?;
    assert!(!again.created);
    assert_eq!(again.record, first.record);

    assert!(
        store
            .notifications()
            .begin_attempt(first.record.id, NOW_MS)
            .await?
    );
    store
        .notifications()
        .mark_sent(first.record.id, Some("msg-1"), NOW_MS + 1)
        .await?;
    let redelivered = store
        .notifications()
        .claim_or_create(&notification("k1", None))
        .await?;
    assert!(!redelivered.created);
    assert!(redelivered.already_sent());
    assert_eq!(redelivered.record.attempts, 1);
    assert_eq!(
        redelivered.record.provider_message_id.as_deref(),
        Some("msg-1")
    );
    Ok(())
}

async fn only_one_caller_owns_an_attempt(store: &Store) -> anyhow::Result<()> {
    let claim = store
        .notifications()
        .claim_or_create(&notification("k1", None))
        .await?;
    let id = claim.record.id;
    assert!(store.notifications().begin_attempt(id, NOW_MS).await?);
    assert!(!store.notifications().begin_attempt(id, NOW_MS).await?);
    store
        .notifications()
        .mark_retrying(id, "http 503", NOW_MS + 2_000, NOW_MS)
        .await?;
    let retrying = store.notifications().get(id).await?.unwrap();
    assert_eq!(retrying.status, DeliveryStatus::Retrying);
    assert_eq!(retrying.last_error.as_deref(), Some("http 503"));
    assert!(
        store
            .notifications()
            .list_due(NOW_MS + 1_999, 10)
            .await?
            .is_empty()
    );
    assert_eq!(
        store
            .notifications()
            .list_due(NOW_MS + 2_000, 10)
            .await?
            .len(),
        1
    );
    assert!(
        store
            .notifications()
            .begin_attempt(id, NOW_MS + 2_000)
            .await?
    );
    store
        .notifications()
        .mark_failed(id, "http 400", NOW_MS + 2_001)
        .await?;
    let failed = store.notifications().get(id).await?.unwrap();
    assert_eq!(failed.status, DeliveryStatus::Failed);
    assert!(failed.status.is_final());
    assert_eq!(failed.attempts, 2);
    assert!(!store.notifications().begin_attempt(id, NOW_MS).await?);
    Ok(())
}

async fn due_rows_wait_for_their_time_and_listing_by_status_works(
    store: &Store,
) -> anyhow::Result<()> {
    let later = store
        .notifications()
        .claim_or_create(&notification("later", Some(NOW_MS + 30_000)))
        .await?;
    let now = store
        .notifications()
        .claim_or_create(&notification("now", None))
        .await?;
    let due: Vec<i64> = store
        .notifications()
        .list_due(NOW_MS, 10)
        .await?
        .iter()
        .map(|record| record.id)
        .collect();
    assert_eq!(due, vec![now.record.id]);
    assert_eq!(
        store
            .notifications()
            .list_due(NOW_MS + 30_000, 10)
            .await?
            .len(),
        2
    );
    assert_eq!(
        store
            .notifications()
            .list_by_status(DeliveryStatus::Pending, 10)
            .await?
            .len(),
        2
    );
    assert_eq!(store.notifications().list_recent(1).await?.len(), 1);
    let _ = later;
    Ok(())
}

async fn rows_stuck_in_sending_are_requeued(store: &Store) -> anyhow::Result<()> {
    let claim = store
        .notifications()
        .claim_or_create(&notification("k1", None))
        .await?;
    assert!(
        store
            .notifications()
            .begin_attempt(claim.record.id, NOW_MS)
            .await?
    );
    assert!(store.notifications().list_due(NOW_MS, 10).await?.is_empty());
    assert_eq!(store.notifications().requeue_sending(NOW_MS + 5).await?, 1);
    let due = store.notifications().list_due(NOW_MS + 5, 10).await?;
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].status, DeliveryStatus::Retrying);
    assert_eq!(due[0].attempts, 1);
    assert_eq!(
        store
            .notifications()
            .list_by_status(DeliveryStatus::Sending, 10)
            .await?
            .len(),
        0
    );
    Ok(())
}

store::test_on_both_backends!(
    a_key_is_created_once_and_found_again,
    only_one_caller_owns_an_attempt,
    due_rows_wait_for_their_time_and_listing_by_status_works,
    rows_stuck_in_sending_are_requeued,
);
