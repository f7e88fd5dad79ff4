//! Grouping as Alertmanager does it, against a real store and a local webhook peer: alerts
//! queued into an open group over several reads of the bus go out in one notification when
//! its `group_wait` ends, a change after a send waits for `group_interval`, and a redelivered
//! read adds nothing.

use detectviz::AlertTransition;
use notifier::sample::{SAMPLE_STARTS_AT_MS, sample_transitions};
use notifier::{NotificationStatus, NotifierConfig, Pipeline};
use store::{DeliveryStatus, Store};

use crate::http_peer::HttpPeer;

const NOW_MS: i64 = SAMPLE_STARTS_AT_MS;

fn config(webhook_url: &str) -> NotifierConfig {
    let config: NotifierConfig = toml::from_str(&format!(
        r#"
        [route]
        receiver = "ops"
        group_by = ["alertname"]
        group_wait_s = 1
        group_interval_s = 1
        [[receivers]]
        name = "ops"
        channels = ["ops-webhook"]
        [[channels]]
        type = "webhook"
        name = "ops-webhook"
        url = "{webhook_url}"
        "#
    ))
    .unwrap();
    config.validate().unwrap();
    config
}

/// Alert `index` of group `index % groups`, each with its own fingerprint and instance.
fn alert(index: usize, groups: usize, at_ms: i64) -> AlertTransition {
    let mut transition = sample_transitions(NotificationStatus::Firing).remove(0);
    transition.fingerprint = format!("{index:016x}");
    transition.at_ms = at_ms;
    let labels = &mut transition.labels.0;
    labels.insert("alertname".into(), format!("Bench{}", index % groups));
    labels.insert("instance".into(), format!("device-{index}"));
    transition
}

fn instances(body: &serde_json::Value) -> Vec<String> {
    let mut instances: Vec<String> = body["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|alert| alert["labels"]["instance"].as_str().unwrap().to_string())
        .collect();
    instances.sort();
    instances
}

async fn alerts_queued_into_an_open_group_go_out_in_one_notification(
    store: &Store,
) -> anyhow::Result<()> {
    let peer = HttpPeer::start("").await;
    let pipeline = Pipeline::new(config(&peer.url("/hook")), store.clone())?;
    let groups = 3;
    let reads: Vec<Vec<AlertTransition>> = (0..3)
        .map(|read| {
            (read * 30..read * 30 + 30)
                .map(|index| alert(index, groups, NOW_MS))
                .collect()
        })
        .collect();
    for (offset, read) in reads.iter().enumerate() {
        let at_ms = NOW_MS + 100 * offset as i64;
        assert_eq!(pipeline.enqueue_all(read, at_ms).await?, 30);
    }
    assert_eq!(pipeline.enqueue_all(&reads[0], NOW_MS + 300).await?, 0);
    assert_eq!(pipeline.deliver_due(NOW_MS + 999).await?.sent, 0);

    let report = pipeline.deliver_due(NOW_MS + 1_000).await?;
    assert_eq!(report.sent, 90, "{report:?}");
    let requests = peer.requests();
    assert_eq!(requests.len(), 3, "one notification per group");
    for request in &requests {
        let body = request.json();
        assert_eq!(body["alerts"].as_array().unwrap().len(), 30, "{body}");
    }

    let late = alert(90, groups, NOW_MS + 1_500);
    assert_eq!(pipeline.enqueue_all(&[late], NOW_MS + 1_500).await?, 1);
    let report = pipeline.deliver_due(NOW_MS + 1_999).await?;
    assert_eq!(
        report.sent, 0,
        "group_interval holds the change: {report:?}"
    );
    assert_eq!(pipeline.deliver_due(NOW_MS + 2_000).await?.sent, 1);
    let requests = peer.requests();
    assert_eq!(requests.len(), 4);
    let body = requests[3].json();
    assert_eq!(body["groupLabels"]["alertname"], "Bench0");
    let carried = instances(&body);
    assert_eq!(
        carried.len(),
        31,
        "the group's firing alerts and the new one"
    );
    assert!(carried.contains(&"device-90".to_string()));

    let records = store.notifications().list_recent(200).await?;
    assert_eq!(records.len(), 91);
    assert!(
        records
            .iter()
            .all(|record| record.status == DeliveryStatus::Sent)
    );
    Ok(())
}

store::test_on_both_backends!(alerts_queued_into_an_open_group_go_out_in_one_notification);
