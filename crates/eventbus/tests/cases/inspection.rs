//! Contract cases for what operators see and manage: retention, replay, stream info, health.

use std::time::Duration;

use eventbus::{EntryId, ReplayFrom};

use crate::support::{Harness, Kind, RunningConsumer, numbered_event};

fn numbers(entries: &[eventbus::StreamEntry]) -> Vec<u64> {
    entries
        .iter()
        .map(|entry| entry.event().unwrap().data["number"].as_u64().unwrap())
        .collect()
}

pub async fn retention_by_length(kind: Kind) {
    let harness = Harness::new(kind, |config| config.retention_max_len = 10).await;
    let stream = harness.stream("retention-length");
    for number in 0..100 {
        harness
            .bus
            .publish(&stream, &numbered_event(number))
            .await
            .unwrap();
    }
    harness.bus.trim(&stream).await.unwrap();
    assert_eq!(harness.bus.info(&stream).await.unwrap().length, 10);
    let kept = harness
        .bus
        .replay(&stream, ReplayFrom::Id(EntryId::ZERO), 1_000)
        .await
        .unwrap();
    assert_eq!(numbers(&kept), (90..100).collect::<Vec<_>>());
}

pub async fn retention_by_age(kind: Kind) {
    let harness = Harness::new(kind, |config| config.retention_max_age_s = 2).await;
    let stream = harness.stream("retention-age");
    let batch: Vec<_> = (0..3).map(numbered_event).collect();
    harness.bus.publish_batch(&stream, &batch).await.unwrap();
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    let batch: Vec<_> = (3..5).map(numbered_event).collect();
    harness.bus.publish_batch(&stream, &batch).await.unwrap();
    harness.bus.trim(&stream).await.unwrap();
    let kept = harness
        .bus
        .replay(&stream, ReplayFrom::Id(EntryId::ZERO), 1_000)
        .await
        .unwrap();
    assert_eq!(numbers(&kept), vec![3, 4]);
    assert_eq!(harness.bus.info(&stream).await.unwrap().length, 2);
}

pub async fn replay_from_an_id(kind: Kind) {
    let harness = Harness::new(kind, |_| {}).await;
    let stream = harness.stream("replay-id");
    let batch: Vec<_> = (0..10).map(numbered_event).collect();
    let ids = harness.bus.publish_batch(&stream, &batch).await.unwrap();
    let replayed = harness
        .bus
        .replay(&stream, ReplayFrom::Id(ids[4]), 100)
        .await
        .unwrap();
    assert_eq!(
        replayed.iter().map(|entry| entry.id).collect::<Vec<_>>(),
        ids[4..]
    );
    assert_eq!(numbers(&replayed), (4..10).collect::<Vec<_>>());
    let limited = harness
        .bus
        .replay(&stream, ReplayFrom::Id(ids[4]), 3)
        .await
        .unwrap();
    assert_eq!(numbers(&limited), vec![4, 5, 6]);
    let from_text: EntryId = ids[7].to_string().parse().unwrap();
    let replayed = harness
        .bus
        .replay(&stream, ReplayFrom::Id(from_text), 100)
        .await
        .unwrap();
    assert_eq!(numbers(&replayed), vec![7, 8, 9]);
}

pub async fn replay_from_a_time(kind: Kind) {
    let harness = Harness::new(kind, |_| {}).await;
    let stream = harness.stream("replay-time");
    let batch: Vec<_> = (0..5).map(numbered_event).collect();
    harness.bus.publish_batch(&stream, &batch).await.unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let since = chrono::Utc::now();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let batch: Vec<_> = (5..8).map(numbered_event).collect();
    let later_ids = harness.bus.publish_batch(&stream, &batch).await.unwrap();
    let replayed = harness
        .bus
        .replay(&stream, ReplayFrom::Time(since), 100)
        .await
        .unwrap();
    assert_eq!(numbers(&replayed), vec![5, 6, 7]);
    assert!(later_ids[0].time().unwrap() >= since);
}

pub async fn info_streams_and_health_describe_the_bus(kind: Kind) {
    let harness = Harness::new(kind, |_| {}).await;
    harness.bus.health().await.unwrap();
    let stream = harness.stream("info");
    let batch: Vec<_> = (0..7).map(numbered_event).collect();
    let ids = harness.bus.publish_batch(&stream, &batch).await.unwrap();
    let consumer = RunningConsumer::accepting(&harness.bus, &stream, "workers", "one");
    consumer.wait_for(7).await;
    consumer.stop().await;
    // A group that has read nothing yet lags by the whole stream.
    harness
        .bus
        .publish(&stream, &numbered_event(7))
        .await
        .unwrap();
    let idle = RunningConsumer::start(&harness.bus, &stream, "audit", "one", |_| {
        Err(eventbus::HandlerError::retryable("not yet"))
    });
    idle.wait_for(1).await;
    idle.stop().await;

    let info = harness.bus.info(&stream).await.unwrap();
    assert_eq!(info.length, 8);
    assert_eq!(info.first_id, Some(ids[0]));
    let audit = &info.groups[0];
    assert_eq!((audit.name.as_str(), audit.consumers), ("audit", 1));
    assert!(audit.pending >= 1, "{audit:?}");
    let workers = &info.groups[1];
    assert_eq!(workers.name, "workers");
    assert_eq!((workers.pending, workers.lag, workers.consumers), (0, 1, 1));
    assert_eq!(workers.last_delivered_id, ids[6]);
    assert!(harness.bus.streams().await.unwrap().contains(&stream));
    assert_eq!(
        harness.bus.backend_name(),
        match kind {
            Kind::Embedded => "embedded",
            Kind::Redis => "redis",
        }
    );
}
