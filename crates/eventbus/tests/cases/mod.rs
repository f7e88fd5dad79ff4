//! The contract every backend keeps: each function is one case, run once per backend by the
//! macro in `contract.rs`. This file holds delivery, ack, redelivery, dead letters and groups.

pub mod batch;
pub mod crash;
pub mod inspection;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use eventbus::{HandlerError, ReplayFrom};

use crate::support::{Harness, Kind, RunningConsumer, eventually, number_of, numbered_event};

pub async fn order_within_a_stream(kind: Kind) {
    let harness = Harness::new(kind, |_| {}).await;
    let stream = harness.stream("order");
    let mut published = Vec::new();
    for number in 0..10 {
        published.push(
            harness
                .bus
                .publish(&stream, &numbered_event(number))
                .await
                .unwrap(),
        );
    }
    let batch: Vec<_> = (10..60).map(numbered_event).collect();
    published.extend(harness.bus.publish_batch(&stream, &batch).await.unwrap());
    assert!(
        published.windows(2).all(|pair| pair[0] < pair[1]),
        "ids grow: {published:?}"
    );

    let consumer = RunningConsumer::accepting(&harness.bus, &stream, "workers", "one");
    let deliveries = consumer.wait_for(60).await;
    let numbers: Vec<u64> = deliveries.iter().map(number_of).collect();
    assert_eq!(numbers, (0..60).collect::<Vec<_>>());
    let ids: Vec<_> = deliveries.iter().map(|delivery| delivery.id).collect();
    assert_eq!(ids, published);
    assert!(
        deliveries
            .iter()
            .all(|delivery| delivery.delivery_count == 1)
    );
    assert!(deliveries.iter().all(|delivery| delivery.stream == stream));
    consumer.stop().await;
}

pub async fn ack_removes_the_entry_from_pending(kind: Kind) {
    let harness = Harness::new(kind, |_| {}).await;
    let stream = harness.stream("ack");
    let batch: Vec<_> = (0..5).map(numbered_event).collect();
    harness.bus.publish_batch(&stream, &batch).await.unwrap();
    let first = RunningConsumer::accepting(&harness.bus, &stream, "workers", "first");
    first.wait_for(5).await;
    eventually("no pending entries", || async {
        let info = harness.bus.info(&stream).await.unwrap();
        info.groups.len() == 1 && info.groups[0].pending == 0 && info.groups[0].lag == 0
    })
    .await;
    first.stop().await;

    // A consumer started later in the same group is not handed the acked entries again.
    harness
        .bus
        .publish(&stream, &numbered_event(5))
        .await
        .unwrap();
    harness
        .bus
        .publish(&stream, &numbered_event(6))
        .await
        .unwrap();
    let second = RunningConsumer::accepting(&harness.bus, &stream, "workers", "second");
    let numbers: Vec<u64> = second.wait_for(2).await.iter().map(number_of).collect();
    assert_eq!(numbers, vec![5, 6]);
    second.stop().await;
}

pub async fn redelivery_after_a_handler_error(kind: Kind) {
    let harness = Harness::new(kind, |_| {}).await;
    let stream = harness.stream("redelivery");
    let batch: Vec<_> = (0..3).map(numbered_event).collect();
    harness.bus.publish_batch(&stream, &batch).await.unwrap();
    let consumer = RunningConsumer::start(&harness.bus, &stream, "workers", "one", |delivery| {
        if delivery.delivery_count == 1 {
            return Err(HandlerError::retryable("downstream unavailable"));
        }
        Ok(())
    });
    let deliveries = consumer.wait_for(6).await;
    for number in 0..3 {
        let counts: Vec<u32> = deliveries
            .iter()
            .filter(|delivery| number_of(delivery) == number)
            .map(|delivery| delivery.delivery_count)
            .collect();
        assert_eq!(counts, vec![1, 2], "deliveries of event {number}");
    }
    eventually("the retried entries are acked", || async {
        harness.bus.info(&stream).await.unwrap().groups[0].pending == 0
    })
    .await;
    consumer.stop().await;
    assert!(
        harness
            .bus
            .dead_letters(&stream, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn a_panicking_handler_is_retried_like_a_failing_one(kind: Kind) {
    let harness = Harness::new(kind, |_| {}).await;
    let stream = harness.stream("panic");
    harness
        .bus
        .publish(&stream, &numbered_event(0))
        .await
        .unwrap();
    let consumer = RunningConsumer::start(&harness.bus, &stream, "workers", "one", |delivery| {
        assert!(
            delivery.delivery_count > 1,
            "first delivery panics on purpose"
        );
        Ok(())
    });
    let deliveries = consumer.wait_for(1).await;
    assert_eq!(
        deliveries.len(),
        1,
        "the panicking delivery is not recorded"
    );
    assert_eq!(deliveries[0].delivery_count, 2);
    eventually("the retried entry is acked", || async {
        harness.bus.info(&stream).await.unwrap().groups[0].pending == 0
    })
    .await;
    consumer.stop().await;
}

pub async fn dead_letter_after_max_deliveries(kind: Kind) {
    let harness = Harness::new(kind, |config| config.max_deliveries = 3).await;
    let stream = harness.stream("dead");
    let poisoned = harness
        .bus
        .publish(&stream, &numbered_event(0))
        .await
        .unwrap();
    harness
        .bus
        .publish(&stream, &numbered_event(1))
        .await
        .unwrap();
    let attempts = Arc::new(AtomicU32::new(0));
    let counter = attempts.clone();
    let consumer =
        RunningConsumer::start(&harness.bus, &stream, "workers", "one", move |delivery| {
            if number_of(delivery) != 0 {
                return Ok(());
            }
            let attempt = counter.fetch_add(1, Ordering::SeqCst) + 1;
            Err(HandlerError::retryable(format!("boom {attempt}")))
        });
    eventually("one dead letter", || async {
        harness.bus.dead_letters(&stream, 10).await.unwrap().len() == 1
    })
    .await;
    let dead_letters = harness.bus.dead_letters(&stream, 10).await.unwrap();
    let dead_letter = &dead_letters[0];
    assert_eq!(dead_letter.entry_id, poisoned);
    assert_eq!(dead_letter.error, "boom 3");
    assert_eq!(dead_letter.delivery_count, 3);
    assert_eq!(dead_letter.group, "workers");
    assert!(
        dead_letter.payload.contains("\"number\":0"),
        "{}",
        dead_letter.payload
    );
    assert_eq!(attempts.load(Ordering::SeqCst), 3);
    eventually("nothing left pending", || async {
        harness.bus.info(&stream).await.unwrap().groups[0].pending == 0
    })
    .await;
    let handled_next = consumer
        .deliveries()
        .iter()
        .any(|delivery| number_of(delivery) == 1);
    assert!(handled_next, "the consumer carried on with the next entry");
    consumer.stop().await;
}

pub async fn permanent_error_goes_to_dead_letters_at_once(kind: Kind) {
    let harness = Harness::new(kind, |_| {}).await;
    let stream = harness.stream("permanent");
    harness
        .bus
        .publish(&stream, &numbered_event(0))
        .await
        .unwrap();
    let consumer = RunningConsumer::start(&harness.bus, &stream, "workers", "one", |_| {
        Err(HandlerError::permanent("unknown channel"))
    });
    eventually("one dead letter", || async {
        harness.bus.dead_letters(&stream, 10).await.unwrap().len() == 1
    })
    .await;
    let dead_letter = &harness.bus.dead_letters(&stream, 10).await.unwrap()[0];
    assert_eq!(
        (dead_letter.delivery_count, dead_letter.error.as_str()),
        (1, "unknown channel")
    );
    assert_eq!(consumer.deliveries().len(), 1);
    consumer.stop().await;
}

pub async fn invalid_envelope_goes_to_dead_letters_and_the_consumer_carries_on(kind: Kind) {
    let harness = Harness::new(kind, |_| {}).await;
    let stream = harness.stream("invalid");
    let invalid = harness
        .bus
        .publish_payloads(&stream, &[b"not an envelope".to_vec()])
        .await
        .unwrap()[0];
    harness
        .bus
        .publish(&stream, &numbered_event(1))
        .await
        .unwrap();
    let consumer = RunningConsumer::accepting(&harness.bus, &stream, "workers", "one");
    let deliveries = consumer.wait_for(1).await;
    assert_eq!(number_of(&deliveries[0]), 1);
    let dead_letters = harness.bus.dead_letters(&stream, 10).await.unwrap();
    assert_eq!(dead_letters.len(), 1);
    assert_eq!(dead_letters[0].entry_id, invalid);
    assert!(
        dead_letters[0].error.starts_with("invalid envelope"),
        "{}",
        dead_letters[0].error
    );
    assert_eq!(dead_letters[0].payload, "not an envelope");
    consumer.stop().await;
}

pub async fn two_consumers_in_one_group_get_disjoint_entries(kind: Kind) {
    let harness = Harness::new(kind, |_| {}).await;
    let stream = harness.stream("disjoint");
    let first = RunningConsumer::accepting(&harness.bus, &stream, "workers", "first");
    let second = RunningConsumer::accepting(&harness.bus, &stream, "workers", "second");
    for chunk in 0..20 {
        let batch: Vec<_> = (chunk * 10..chunk * 10 + 10).map(numbered_event).collect();
        harness.bus.publish_batch(&stream, &batch).await.unwrap();
    }
    eventually("200 deliveries in all", || async {
        first.deliveries().len() + second.deliveries().len() >= 200
    })
    .await;
    let first_numbers: BTreeSet<u64> = first.deliveries().iter().map(number_of).collect();
    let second_numbers: BTreeSet<u64> = second.deliveries().iter().map(number_of).collect();
    assert!(first_numbers.is_disjoint(&second_numbers));
    let all: BTreeSet<u64> = first_numbers.union(&second_numbers).copied().collect();
    assert_eq!(all, (0..200).collect());
    assert_eq!(first.deliveries().len() + second.deliveries().len(), 200);
    first.stop().await;
    second.stop().await;
}

pub async fn two_groups_each_get_every_entry(kind: Kind) {
    let harness = Harness::new(kind, |_| {}).await;
    let stream = harness.stream("groups");
    let batch: Vec<_> = (0..30).map(numbered_event).collect();
    harness.bus.publish_batch(&stream, &batch).await.unwrap();
    let notifier = RunningConsumer::accepting(&harness.bus, &stream, "notifier", "one");
    let recorder = RunningConsumer::accepting(&harness.bus, &stream, "recorder", "one");
    for consumer in [&notifier, &recorder] {
        let numbers: Vec<u64> = consumer.wait_for(30).await.iter().map(number_of).collect();
        assert_eq!(numbers, (0..30).collect::<Vec<_>>());
    }
    let info = harness.bus.info(&stream).await.unwrap();
    let names: Vec<&str> = info
        .groups
        .iter()
        .map(|group| group.name.as_str())
        .collect();
    assert_eq!(names, vec!["notifier", "recorder"]);
    notifier.stop().await;
    recorder.stop().await;
}

pub async fn entries_and_groups_survive_reopening_the_bus(kind: Kind) {
    let harness = Harness::new(kind, |_| {}).await;
    let stream = harness.stream("reopen");
    let ids = harness
        .bus
        .publish_batch(&stream, &(0..4).map(numbered_event).collect::<Vec<_>>())
        .await
        .unwrap();
    let first = RunningConsumer::accepting(&harness.bus, &stream, "workers", "one");
    first.wait_for(4).await;
    first.stop().await;
    harness
        .bus
        .publish(&stream, &numbered_event(4))
        .await
        .unwrap();

    let reopened = harness.another_bus(|_| {}).await;
    let replayed = reopened
        .replay(&stream, ReplayFrom::Id(ids[0]), 100)
        .await
        .unwrap();
    assert_eq!(replayed.len(), 5);
    let second = RunningConsumer::accepting(&reopened, &stream, "workers", "one");
    let deliveries = second.wait_for(1).await;
    assert_eq!(
        number_of(&deliveries[0]),
        4,
        "the group resumes after what it acked"
    );
    second.stop().await;
}
