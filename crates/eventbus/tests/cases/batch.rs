//! `subscribe_batch`: one call per read with every entry of it, one result per entry. The
//! entries that succeed are acked, a permanent failure goes to the dead letters alone, and a
//! retryable one comes back in a later call.

use std::sync::{Arc, Mutex};

use eventbus::{CancellationToken, Delivery, HandlerError};

use crate::support::{Harness, Kind, eventually, number_of, numbered_event};

pub async fn a_batch_handler_gets_whole_reads_and_answers_per_entry(kind: Kind) {
    let harness = Harness::new(kind, |_| {}).await;
    let stream = harness.stream("batches");
    let events: Vec<_> = (0..12).map(numbered_event).collect();
    harness.bus.publish_batch(&stream, &events).await.unwrap();
    let calls: Arc<Mutex<Vec<Vec<u64>>>> = Arc::new(Mutex::new(Vec::new()));
    let shutdown = CancellationToken::new();
    let handler_calls = calls.clone();
    let handler = move |deliveries: Vec<Delivery>| {
        let calls = handler_calls.clone();
        async move {
            let numbers: Vec<u64> = deliveries.iter().map(number_of).collect();
            let first_call = calls.lock().unwrap().is_empty();
            calls.lock().unwrap().push(numbers.clone());
            numbers
                .iter()
                .map(|number| match number {
                    3 => Err(HandlerError::permanent("entry 3 is refused")),
                    7 if first_call => Err(HandlerError::retryable("entry 7 later")),
                    _ => Ok(()),
                })
                .collect()
        }
    };
    let bus = harness.bus.clone();
    let consumer_stream = stream.clone();
    let consumer_shutdown = shutdown.clone();
    let task = tokio::spawn(async move {
        bus.subscribe_batch(
            &consumer_stream,
            "batchers",
            "one",
            handler,
            consumer_shutdown,
        )
        .await
    });
    eventually("entry 7 delivered again", || async {
        calls
            .lock()
            .unwrap()
            .iter()
            .skip(1)
            .flatten()
            .any(|number| *number == 7)
    })
    .await;
    eventually("everything but entry 3 acked", || async {
        let info = harness.bus.info(&stream).await.unwrap();
        info.groups
            .iter()
            .any(|group| group.name == "batchers" && group.pending == 0 && group.lag == 0)
    })
    .await;
    let first_call = calls.lock().unwrap()[0].clone();
    assert!(harness.config.read_batch_size >= 12);
    assert_eq!(
        first_call,
        (0..12).collect::<Vec<u64>>(),
        "one call for the whole read"
    );
    let dead_letters = harness.bus.dead_letters(&stream, 10).await.unwrap();
    assert_eq!(dead_letters.len(), 1);
    assert_eq!(dead_letters[0].error, "entry 3 is refused");
    shutdown.cancel();
    task.await.unwrap().unwrap();
}
