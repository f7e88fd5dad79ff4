//! Contract cases for consumers that die while handling an entry: another consumer of the group
//! claims the entry once it has been idle for `claim_idle_ms` and finishes it. One case kills a
//! real child process (this test binary, re-run in child mode) with SIGKILL.

use std::os::unix::process::ExitStatusExt;
use std::time::Duration;

use eventbus::{BusConfig, CancellationToken, Delivery, HandlerError};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::support::{DEADLINE, Harness, Kind, RunningConsumer, eventually, numbered_event};

/// Set in the child's environment: what it should consume.
pub const CHILD_ENVIRONMENT_VARIABLE: &str = "DETECTVIZ_EVENTBUS_SIGKILL_CHILD";
/// The test function (in `contract.rs`) that runs the child.
pub const CHILD_TEST_NAME: &str = "sigkill_child_consumer";
const HANDLING_MARKER: &str = "HANDLING ";

#[derive(Serialize, Deserialize)]
pub struct ChildAssignment {
    pub config: BusConfig,
    pub stream: String,
    pub group: String,
    pub consumer: String,
}

/// The child: consumes, announces the entry it is handling, then hangs until killed.
pub async fn run_child(assignment: ChildAssignment) {
    let bus = eventbus::connect(&assignment.config)
        .await
        .expect("child connects");
    let handler = |delivery: Delivery| async move {
        println!("{HANDLING_MARKER}{}", delivery.id);
        std::future::pending::<Result<(), HandlerError>>().await
    };
    let shutdown = CancellationToken::new();
    let consumed = bus.subscribe(
        &assignment.stream,
        &assignment.group,
        &assignment.consumer,
        handler,
        shutdown,
    );
    consumed.await.expect("child subscribes");
}

pub async fn claim_after_a_consumer_process_is_killed(kind: Kind) {
    let harness = Harness::new(kind, |config| config.claim_idle_ms = 500).await;
    let stream = harness.stream("sigkill");
    let published = harness
        .bus
        .publish(&stream, &numbered_event(0))
        .await
        .unwrap();
    let assignment = ChildAssignment {
        config: harness.config.clone(),
        stream: stream.clone(),
        group: "workers".to_string(),
        consumer: "doomed".to_string(),
    };
    let mut child = tokio::process::Command::new(std::env::current_exe().unwrap())
        .args([CHILD_TEST_NAME, "--exact", "--ignored", "--nocapture"])
        .env(
            CHILD_ENVIRONMENT_VARIABLE,
            serde_json::to_string(&assignment).unwrap(),
        )
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn the child consumer");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let handling = tokio::time::timeout(DEADLINE, async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(id) = line.strip_prefix(HANDLING_MARKER) {
                return id.to_string();
            }
        }
        panic!("the child ended before handling the entry");
    })
    .await
    .expect("the child handles the entry");
    assert_eq!(handling, published.to_string());

    child.start_kill().unwrap();
    let status = child.wait().await.unwrap();
    assert_eq!(status.signal(), Some(9), "killed with SIGKILL: {status:?}");

    let survivor = RunningConsumer::accepting(&harness.bus, &stream, "workers", "survivor");
    let deliveries = survivor.wait_for(1).await;
    assert_eq!(deliveries[0].id, published);
    assert_eq!(deliveries[0].delivery_count, 2);
    eventually("the claimed entry is acked", || async {
        harness.bus.info(&stream).await.unwrap().groups[0].pending == 0
    })
    .await;
    survivor.stop().await;
}

pub async fn claim_after_a_consumer_task_dies(kind: Kind) {
    let harness = Harness::new(kind, |config| config.claim_idle_ms = 300).await;
    let stream = harness.stream("claim");
    let batch: Vec<_> = (0..3).map(numbered_event).collect();
    let ids = harness.bus.publish_batch(&stream, &batch).await.unwrap();
    let (started_sender, mut started) = tokio::sync::mpsc::unbounded_channel();
    let bus = harness.bus.clone();
    let doomed_stream = stream.clone();
    let doomed = tokio::spawn(async move {
        let handler = move |delivery: Delivery| {
            let started_sender = started_sender.clone();
            async move {
                started_sender.send(delivery.id).unwrap();
                std::future::pending::<Result<(), HandlerError>>().await
            }
        };
        let shutdown = CancellationToken::new();
        bus.subscribe(&doomed_stream, "workers", "doomed", handler, shutdown)
            .await
    });
    let first = tokio::time::timeout(DEADLINE, started.recv())
        .await
        .unwrap();
    assert_eq!(first, Some(ids[0]));
    doomed.abort();
    let _ = doomed.await;
    tokio::time::sleep(Duration::from_millis(10)).await;

    let survivor = RunningConsumer::accepting(&harness.bus, &stream, "workers", "survivor");
    let deliveries = survivor.wait_for(3).await;
    let mut claimed: Vec<_> = deliveries.iter().map(|delivery| delivery.id).collect();
    claimed.sort();
    assert_eq!(claimed, ids);
    assert!(
        deliveries
            .iter()
            .all(|delivery| delivery.delivery_count == 2)
    );
    eventually("every claimed entry is acked", || async {
        harness.bus.info(&stream).await.unwrap().groups[0].pending == 0
    })
    .await;
    survivor.stop().await;
}
