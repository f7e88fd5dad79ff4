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
        contact_id: String::new(),
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

async fn the_list_filters_by_status_receiver_and_fingerprint_and_pages(
    store: &Store,
) -> anyhow::Result<()> {
    let notifications = store.notifications();
    let mut ids = Vec::new();
    for (key, receiver, fingerprint) in [
        ("f1", "plant-oncall", "0a887e641d7af92d"),
        ("f2", "office", "0a887e641d7af92d"),
        ("f3", "plant-oncall", "ffff000011112222"),
    ] {
        let mut new = notification(key, None);
        new.receiver = receiver.to_string();
        new.payload = json!({ "transitions": [{ "fingerprint": fingerprint }] });
        ids.push(notifications.claim_or_create(&new).await?.record.id);
    }
    assert!(notifications.begin_attempt(ids[0], NOW_MS).await?);
    notifications.mark_sent(ids[0], Some("m-1"), NOW_MS).await?;
    assert!(
        notifications
            .mark_suppressed(ids[1], "silenced by ops", NOW_MS)
            .await?
    );
    assert!(
        !notifications
            .mark_suppressed(ids[0], "late", NOW_MS)
            .await?,
        "a sent row stays sent"
    );
    let listed = |filter: store::NotificationFilter| async move {
        let rows = store.notifications().list(&filter).await?;
        anyhow::Ok(rows.iter().map(|row| row.id).collect::<Vec<_>>())
    };
    let all = store::NotificationFilter {
        limit: 10,
        ..Default::default()
    };
    assert_eq!(listed(all.clone()).await?, [ids[2], ids[1], ids[0]]);
    let by_fingerprint = store::NotificationFilter {
        fingerprint: Some("0a887e641d7af92d".into()),
        ..all.clone()
    };
    assert_eq!(listed(by_fingerprint).await?, [ids[1], ids[0]]);
    let wildcard = store::NotificationFilter {
        fingerprint: Some("%".into()),
        ..all.clone()
    };
    assert!(listed(wildcard).await?.is_empty(), "% is not a wildcard");
    let by_receiver = store::NotificationFilter {
        receiver: Some("plant-oncall".into()),
        ..all.clone()
    };
    assert_eq!(listed(by_receiver).await?, [ids[2], ids[0]]);
    let suppressed = store::NotificationFilter {
        status: Some(DeliveryStatus::Suppressed),
        ..all.clone()
    };
    assert_eq!(listed(suppressed).await?, [ids[1]]);
    assert_eq!(
        notifications.count_queued().await?,
        1,
        "f3 is still pending"
    );
    let row = notifications.get(ids[1]).await?.unwrap();
    assert_eq!(row.last_error.as_deref(), Some("silenced by ops"));
    assert!(row.status.is_final());
    let first_page = store::NotificationFilter {
        limit: 2,
        ..all.clone()
    };
    assert_eq!(listed(first_page).await?, [ids[2], ids[1]]);
    let second_page = store::NotificationFilter {
        limit: 2,
        before_id: Some(ids[1]),
        ..all
    };
    assert_eq!(listed(second_page).await?, [ids[0]]);
    Ok(())
}

store::test_on_both_backends!(
    the_list_filters_by_status_receiver_and_fingerprint_and_pages,
    a_key_is_created_once_and_found_again,
    only_one_caller_owns_an_attempt,
    due_rows_wait_for_their_time_and_listing_by_status_works,
    rows_stuck_in_sending_are_requeued,
);
