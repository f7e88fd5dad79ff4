//! The mute stage runs again at send time: a silence or an acknowledgement made while a
//! group waits (`group_wait`, a retry's backoff) suppresses the send, on both store backends.

use detectviz::AlertTransition;
use notifier::sample::{SAMPLE_STARTS_AT_MS, sample_transitions};
use notifier::{NotificationStatus, NotifierConfig, Pipeline};
use store::{AlertStateRecord, DeliveryStatus, NewSilence, Store};

use crate::http_peer::HttpPeer;

const NOW_MS: i64 = SAMPLE_STARTS_AT_MS;

fn config(webhook_url: &str) -> NotifierConfig {
    toml::from_str(&format!(
        r#"
        [route]
        receiver = "ops"
        group_by = ["alertname"]
        group_wait_s = 30
        [[receivers]]
        name = "ops"
        channels = ["ops-webhook"]
        [[channels]]
        type = "webhook"
        name = "ops-webhook"
        url = "{webhook_url}"
        "#
    ))
    .unwrap()
}

fn firing() -> Vec<AlertTransition> {
    sample_transitions(NotificationStatus::Firing)
}

async fn silence_line(store: &Store, line: &str) {
    store
        .silences()
        .upsert(&NewSilence {
            id: format!("silence-{line}"),
            matchers: serde_json::json!([{ "name": "line", "value": line, "isRegex": false }]),
            starts_at_ms: NOW_MS + 1_000,
            ends_at_ms: NOW_MS + 3_600_000,
            created_by: "ops".to_string(),
            comment: "pump swap".to_string(),
        })
        .await
        .unwrap();
}

async fn by_status(store: &Store, status: DeliveryStatus) -> usize {
    let records = store.notifications().list_recent(100).await.unwrap();
    records
        .iter()
        .filter(|record| record.status == status)
        .count()
}

async fn a_silence_made_during_group_wait_suppresses_the_send(store: &Store) -> anyhow::Result<()> {
    let peer = HttpPeer::start("").await;
    let pipeline = Pipeline::new(config(&peer.url("/hook")), store.clone())?;
    let transitions = firing();
    assert_eq!(pipeline.enqueue(&transitions[0], NOW_MS).await?, 1);
    assert_eq!(pipeline.enqueue(&transitions[1], NOW_MS).await?, 1);
    silence_line(store, "line-3").await;

    let report = pipeline.deliver_due(NOW_MS + 30_000).await?;
    assert_eq!((report.sent, report.suppressed), (1, 1), "{report:?}");
    let requests = peer.requests();
    assert_eq!(requests.len(), 1);
    let alerts = requests[0].json()["alerts"].as_array().unwrap().clone();
    assert_eq!(
        alerts.len(),
        1,
        "the silenced alert is left out: {alerts:?}"
    );
    assert_eq!(alerts[0]["labels"]["line"], "line-4");
    let filter = store::NotificationFilter {
        status: Some(DeliveryStatus::Suppressed),
        limit: 10,
        ..Default::default()
    };
    let suppressed = store.notifications().list(&filter).await?;
    assert_eq!(suppressed.len(), 1);
    let reason = suppressed[0].last_error.clone().unwrap_or_default();
    assert_eq!(reason, "muted since queued: silence silence-line-3");

    let mut resolved_later = transitions[1].clone();
    resolved_later.kind = detectviz::TransitionKind::Resolved;
    resolved_later.to = detectviz::AlertPhase::Resolved;
    resolved_later.at_ms = NOW_MS + 40_000;
    assert_eq!(pipeline.enqueue(&resolved_later, NOW_MS + 40_000).await?, 1);
    silence_line(store, "line-4").await;
    let report = pipeline.deliver_due(NOW_MS + 400_000).await?;
    assert_eq!(report.sent, 0, "everything in the group is silenced now");
    assert_eq!(peer.requests().len(), 1);
    assert_eq!(by_status(store, DeliveryStatus::Suppressed).await, 2);
    Ok(())
}

async fn an_acknowledgement_made_during_group_wait_suppresses_the_send(
    store: &Store,
) -> anyhow::Result<()> {
    let peer = HttpPeer::start("").await;
    let pipeline = Pipeline::new(config(&peer.url("/hook")), store.clone())?;
    let transition = firing().remove(0);
    assert_eq!(pipeline.enqueue(&transition, NOW_MS).await?, 1);
    store
        .alerts()
        .upsert_state(&AlertStateRecord {
            fingerprint: transition.fingerprint.clone(),
            rule_id: transition.rule_id.clone(),
            rule_name: transition.rule_name.clone(),
            severity: transition.severity.as_str().to_string(),
            state: "firing".to_string(),
            labels: transition.labels.0.clone(),
            annotations: transition.annotations.clone(),
            value: transition.value,
            active_since_ms: Some(NOW_MS),
            updated_at_ms: NOW_MS,
            resolved_at_ms: None,
        })
        .await?;
    store
        .alerts()
        .acknowledge(
            &transition.fingerprint,
            "mei",
            NOW_MS + 5_000,
            "on it",
            "critical",
        )
        .await?;

    let report = pipeline.deliver_due(NOW_MS + 30_000).await?;
    assert_eq!((report.sent, report.suppressed), (0, 1), "{report:?}");
    assert!(peer.requests().is_empty(), "nothing reaches the peer");
    let record = &store.notifications().list_recent(1).await?[0];
    assert_eq!(record.status, DeliveryStatus::Suppressed);
    assert_eq!(record.attempts, 0, "no attempt was made");
    let reason = record.last_error.clone().unwrap_or_default();
    assert!(reason.contains("acknowledged by mei"), "{reason}");
    Ok(())
}

store::test_on_both_backends!(
    a_silence_made_during_group_wait_suppresses_the_send,
    an_acknowledgement_made_during_group_wait_suppresses_the_send,
);
