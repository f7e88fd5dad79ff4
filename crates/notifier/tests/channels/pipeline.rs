//! The notification pipeline against a real store (SQLite), the embedded event bus and the
//! local HTTP peer: idempotent delivery, retries, crash resume, muting, and `run_notifier`
//! end to end.

use std::time::Duration;

use detectviz::{AlertTransition, Event};
use eventbus::{BusConfig, CancellationToken};
use notifier::sample::{SAMPLE_STARTS_AT_MS, sample_transitions};
use notifier::{NotificationStatus, NotifierConfig, Pipeline, run_notifier};
use store::testing::TestDatabase;
use store::{DeliveryStatus, NewSilence, Store};

use crate::conformance::{ConformancePeer, PeerAnswer};
use crate::http_peer::HttpPeer;

const NOW_MS: i64 = SAMPLE_STARTS_AT_MS;

fn config(webhook_url: &str, group_wait_s: u64) -> NotifierConfig {
    let config: NotifierConfig = toml::from_str(&format!(
        r#"
        tick_ms = 50
        external_url = "http://detectviz.plant-a.example:8080"
        [route]
        receiver = "ops"
        group_by = ["alertname"]
        group_wait_s = {group_wait_s}
        [[receivers]]
        name = "ops"
        channels = ["ops-webhook"]
        [[channels]]
        type = "webhook"
        name = "ops-webhook"
        url = "{webhook_url}"
        [retry]
        max_attempts = 3
        initial_backoff_ms = 1000
        max_backoff_ms = 8000
        "#
    ))
    .unwrap();
    config.validate().unwrap();
    config
}

fn firing() -> Vec<AlertTransition> {
    sample_transitions(NotificationStatus::Firing)
}

async fn statuses(store: &Store) -> Vec<DeliveryStatus> {
    let mut records = store.notifications().list_recent(100).await.unwrap();
    records.sort_by_key(|record| record.id);
    records.iter().map(|record| record.status).collect()
}

async fn a_transition_enqueued_twice_is_sent_once(store: &Store) -> anyhow::Result<()> {
    let peer = HttpPeer::start("").await;
    let pipeline = Pipeline::new(config(&peer.url("/hook"), 0), store.clone()).unwrap();
    let transitions = firing();
    assert_eq!(pipeline.enqueue(&transitions[0], NOW_MS).await.unwrap(), 1);
    assert_eq!(pipeline.enqueue(&transitions[1], NOW_MS).await.unwrap(), 1);
    assert_eq!(pipeline.enqueue(&transitions[0], NOW_MS).await.unwrap(), 0);
    let report = pipeline.deliver_due(NOW_MS).await.unwrap();
    assert_eq!(report.sent, 2, "{report:?}");
    assert_eq!(
        peer.requests().len(),
        1,
        "both alerts in one grouped message"
    );
    let body = peer.last_request().json();
    assert_eq!(body["version"], "4");
    assert_eq!(body["alerts"].as_array().unwrap().len(), 2);
    assert_eq!(body["groupLabels"]["alertname"], "SpindleTemperatureHigh");

    assert_eq!(
        pipeline.enqueue(&transitions[0], NOW_MS + 5).await.unwrap(),
        0
    );
    let report = pipeline.deliver_due(NOW_MS + 10).await.unwrap();
    assert_eq!(report.sent, 0);
    assert_eq!(peer.requests().len(), 1);
    assert_eq!(
        statuses(store).await,
        vec![DeliveryStatus::Sent, DeliveryStatus::Sent]
    );
    Ok(())
}

async fn group_wait_holds_the_first_message(store: &Store) -> anyhow::Result<()> {
    let peer = HttpPeer::start("").await;
    let pipeline = Pipeline::new(config(&peer.url("/hook"), 30), store.clone()).unwrap();
    pipeline.enqueue(&firing()[0], NOW_MS).await.unwrap();
    assert_eq!(pipeline.deliver_due(NOW_MS + 29_999).await.unwrap().sent, 0);
    pipeline
        .enqueue(&firing()[1], NOW_MS + 10_000)
        .await
        .unwrap();
    assert_eq!(pipeline.deliver_due(NOW_MS + 30_000).await.unwrap().sent, 2);
    assert_eq!(peer.requests().len(), 1);
    Ok(())
}

async fn server_errors_are_retried_with_backoff_and_client_errors_fail(
    store: &Store,
) -> anyhow::Result<()> {
    let peer = HttpPeer::start("").await;
    let pipeline = Pipeline::new(config(&peer.url("/hook"), 0), store.clone()).unwrap();
    pipeline.enqueue(&firing()[0], NOW_MS).await.unwrap();
    peer.answer_with(PeerAnswer::ServerError);
    let report = pipeline.deliver_due(NOW_MS).await.unwrap();
    assert_eq!(report.retrying, 1, "{report:?}");
    let record = &store.notifications().list_recent(1).await.unwrap()[0];
    assert_eq!(record.status, DeliveryStatus::Retrying);
    assert_eq!(record.attempts, 1);
    let next = record.next_attempt_at_ms.unwrap();
    assert!((NOW_MS + 500..=NOW_MS + 1_000).contains(&next), "{next}");
    assert_eq!(pipeline.deliver_due(next - 1).await.unwrap().retrying, 0);

    peer.answer_with(PeerAnswer::RateLimited {
        retry_after_seconds: 7,
    });
    assert_eq!(pipeline.deliver_due(next).await.unwrap().retrying, 1);
    let record = &store.notifications().list_recent(1).await.unwrap()[0];
    assert_eq!(
        record.next_attempt_at_ms,
        Some(next + 7_000),
        "retry-after honoured"
    );

    peer.answer_with(PeerAnswer::BadRequest);
    assert_eq!(pipeline.deliver_due(next + 7_000).await.unwrap().failed, 1);
    let record = &store.notifications().list_recent(1).await.unwrap()[0];
    assert_eq!(record.status, DeliveryStatus::Failed);
    assert_eq!(record.attempts, 3);
    assert!(record.last_error.as_deref().unwrap().contains("400"));
    Ok(())
}

async fn a_send_interrupted_by_a_crash_is_resumed(store: &Store) -> anyhow::Result<()> {
    let peer = HttpPeer::start("").await;
    let crashed = Pipeline::new(config(&peer.url("/hook"), 0), store.clone()).unwrap();
    crashed.enqueue(&firing()[0], NOW_MS).await.unwrap();
    let row = store.notifications().list_due(NOW_MS, 10).await.unwrap()[0].clone();
    assert!(
        store
            .notifications()
            .begin_attempt(row.id, NOW_MS)
            .await
            .unwrap()
    );
    drop(crashed);

    let restarted = Pipeline::new(config(&peer.url("/hook"), 0), store.clone()).unwrap();
    assert_eq!(restarted.deliver_due(NOW_MS).await.unwrap().sent, 0);
    assert_eq!(restarted.resume(NOW_MS + 1).await.unwrap(), 1);
    assert_eq!(restarted.deliver_due(NOW_MS + 1).await.unwrap().sent, 1);
    assert_eq!(peer.requests().len(), 1);
    assert_eq!(statuses(store).await, vec![DeliveryStatus::Sent]);
    Ok(())
}

async fn a_silence_in_the_store_mutes_and_flapping_is_not_notified(
    store: &Store,
) -> anyhow::Result<()> {
    let peer = HttpPeer::start("").await;
    let pipeline = Pipeline::new(config(&peer.url("/hook"), 0), store.clone()).unwrap();
    store
        .silences()
        .upsert(&NewSilence {
            id: "s1".to_string(),
            matchers: serde_json::json!([{ "name": "line", "value": "line-3", "isRegex": false }]),
            starts_at_ms: NOW_MS - 1,
            ends_at_ms: NOW_MS + 60_000,
            created_by: "ops".to_string(),
            comment: String::new(),
        })
        .await
        .unwrap();
    let transitions = firing();
    assert_eq!(pipeline.enqueue(&transitions[0], NOW_MS).await.unwrap(), 1);
    let mut flapping = transitions[1].clone();
    flapping.notify = false;
    assert_eq!(pipeline.enqueue(&flapping, NOW_MS).await.unwrap(), 0);
    assert_eq!(pipeline.enqueue(&transitions[1], NOW_MS).await.unwrap(), 1);
    let report = pipeline.deliver_due(NOW_MS).await.unwrap();
    assert_eq!((report.sent, report.suppressed), (1, 1), "{report:?}");
    let alerts = peer.last_request().json()["alerts"].clone();
    assert_eq!(alerts.as_array().unwrap().len(), 1, "{alerts}");
    assert_eq!(alerts[0]["labels"]["line"], "line-4", "line-3 is silenced");
    Ok(())
}

#[tokio::test]
async fn run_notifier_delivers_a_published_transition_once_even_when_redelivered() {
    let directory = tempfile::tempdir().unwrap();
    let bus = eventbus::connect(&BusConfig {
        embedded_path: directory.path().join("bus.db"),
        block_ms: 50,
        embedded_poll_ms: 20,
        ..Default::default()
    })
    .await
    .unwrap();
    let database = TestDatabase::sqlite().await.unwrap();
    let peer = HttpPeer::start("").await;
    let shutdown = CancellationToken::new();
    let notifier = tokio::spawn(run_notifier(
        bus.clone(),
        database.store().clone(),
        config(&peer.url("/hook"), 0),
        shutdown.clone(),
    ));
    let transition = firing().remove(0);
    let event = Event::new("/detectviz/alert", "io.detectviz.alert.firing", &transition).unwrap();
    bus.publish("dv:alerts", &event).await.unwrap();
    wait_until(|| peer.requests().len() == 1).await;
    let body = peer.last_request().json();
    assert_eq!(body["version"], "4");
    assert_eq!(body["status"], "firing");
    assert_eq!(body["receiver"], "ops");
    assert_eq!(body["alerts"].as_array().unwrap().len(), 1);

    bus.publish("dv:alerts", &event).await.unwrap();
    wait_for_the_group_to_catch_up(&bus).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        peer.requests().len(),
        1,
        "the redelivered event sent nothing"
    );
    assert_eq!(statuses(database.store()).await, vec![DeliveryStatus::Sent]);

    shutdown.cancel();
    notifier.await.unwrap().unwrap();
    database.cleanup().await;
}

async fn a_still_firing_group_repeats_after_repeat_interval_and_stops_once_resolved(
    store: &Store,
) -> anyhow::Result<()> {
    let peer = HttpPeer::start("").await;
    let pipeline = Pipeline::new(config(&peer.url("/hook"), 0), store.clone())?;
    let transitions = firing();
    pipeline.enqueue(&transitions[0], NOW_MS).await?;
    assert_eq!(pipeline.deliver_due(NOW_MS).await?.sent, 1);
    let repeat_interval_ms = 4 * 3_600_000;
    assert_eq!(
        pipeline
            .deliver_due(NOW_MS + repeat_interval_ms - 1)
            .await?
            .sent,
        0
    );
    assert_eq!(
        pipeline
            .deliver_due(NOW_MS + repeat_interval_ms)
            .await?
            .sent,
        1
    );
    assert_eq!(
        pipeline
            .deliver_due(NOW_MS + repeat_interval_ms)
            .await?
            .sent,
        0
    );
    assert_eq!(peer.requests().len(), 2);
    assert_eq!(peer.last_request().json()["status"], "firing");

    let mut resolved = transitions[0].clone();
    resolved.kind = detectviz::TransitionKind::Resolved;
    resolved.from = detectviz::AlertPhase::Firing;
    resolved.to = detectviz::AlertPhase::Resolved;
    resolved.at_ms = NOW_MS + repeat_interval_ms + 1_000;
    let resolved_at = resolved.at_ms;
    pipeline.enqueue(&resolved, resolved_at).await?;
    let after_group_interval = NOW_MS + repeat_interval_ms + 300_000;
    assert_eq!(pipeline.deliver_due(after_group_interval).await?.sent, 1);
    assert_eq!(peer.last_request().json()["status"], "resolved");
    assert_eq!(
        pipeline
            .deliver_due(after_group_interval + 10 * repeat_interval_ms)
            .await?
            .sent,
        0,
        "a resolved group does not repeat"
    );
    assert_eq!(peer.requests().len(), 3);
    Ok(())
}

async fn a_peer_that_never_answers_times_out_and_is_retried(store: &Store) -> anyhow::Result<()> {
    let silent_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hook", silent_listener.local_addr()?);
    let mut config = config(&url, 0);
    config.send_timeout_ms = 200;
    let pipeline = Pipeline::new(config, store.clone())?;
    pipeline.enqueue(&firing()[0], NOW_MS).await?;
    let started = std::time::Instant::now();
    assert_eq!(pipeline.deliver_due(NOW_MS).await?.retrying, 1);
    assert!(started.elapsed() < Duration::from_secs(2));
    let record = &store.notifications().list_recent(1).await?[0];
    assert_eq!(record.status, DeliveryStatus::Retrying);
    assert!(
        record.last_error.as_deref().unwrap().contains("in time"),
        "{:?}",
        record.last_error
    );
    drop(silent_listener);
    Ok(())
}

store::test_on_both_backends!(
    a_peer_that_never_answers_times_out_and_is_retried,
    a_still_firing_group_repeats_after_repeat_interval_and_stops_once_resolved,
    a_transition_enqueued_twice_is_sent_once,
    group_wait_holds_the_first_message,
    server_errors_are_retried_with_backoff_and_client_errors_fail,
    a_send_interrupted_by_a_crash_is_resumed,
    a_silence_in_the_store_mutes_and_flapping_is_not_notified,
);

async fn wait_until(mut condition: impl FnMut() -> bool) {
    for _ in 0..200 {
        if condition() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("condition not met within 5 s");
}

async fn wait_for_the_group_to_catch_up(bus: &eventbus::EventBus) {
    for _ in 0..200 {
        let info = bus.info("dv:alerts").await.unwrap();
        let caught_up = info
            .groups
            .iter()
            .any(|group| group.name == "notifier" && group.pending == 0 && group.lag == 0);
        if caught_up {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the notifier group did not catch up within 5 s");
}
