//! Redis restart: a `redis-server` of this test's own (spare port, `appendonly yes`) is
//! restarted in the middle of a publish/consume loop. Every event whose publish returned `Ok`
//! must reach the consumer, which must resume by itself. The shared Redis on 6379 is untouched.

mod support;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use eventbus::BusBackend;

use support::{DEADLINE, Harness, Kind, RunningConsumer, eventually, number_of, numbered_event};

const EVENTS: u64 = 2_000;
const RESTART_AFTER: u64 = 700;

/// A `redis-server` child process, killed when dropped.
struct RedisServer {
    port: u16,
    child: Option<Child>,
}

impl RedisServer {
    fn start(port: u16, directory: &Path) -> RedisServer {
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--appendonly", "yes", "--save", ""])
            .arg("--dir")
            .arg(directory)
            .stdout(Stdio::null())
            .spawn()
            .expect("start redis-server");
        let server = RedisServer {
            port,
            child: Some(child),
        };
        server.wait_until_ready();
        server
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn wait_until_ready(&self) {
        let started = std::time::Instant::now();
        loop {
            let ping = redis::Client::open(self.url())
                .and_then(|client| client.get_connection())
                .and_then(|mut connection| redis::cmd("PING").query::<String>(&mut connection));
            if ping.is_ok() {
                return;
            }
            assert!(started.elapsed() < DEADLINE, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SHUTDOWN (which writes the append-only file out), then waits for the process to end.
    fn shutdown(&mut self) {
        if let Ok(mut connection) =
            redis::Client::open(self.url()).and_then(|client| client.get_connection())
        {
            let _: Result<(), _> = redis::cmd("SHUTDOWN").query(&mut connection);
        }
        if let Some(mut child) = self.child.take() {
            child.wait().expect("redis-server exits");
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn spare_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a spare port");
    listener.local_addr().unwrap().port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_published_event_is_lost_when_redis_restarts() {
    let directory = tempfile::tempdir().unwrap();
    let port = spare_port();
    let mut server = RedisServer::start(port, directory.path());
    let url = server.url();
    let harness = Harness::new(Kind::Redis, |config| {
        config.backend = BusBackend::Redis;
        config.redis_url = url;
        config.claim_idle_ms = 1_000;
    })
    .await;
    let stream = harness.stream("restart");
    let consumer = RunningConsumer::accepting(&harness.bus, &stream, "workers", "one");

    let published = Arc::new(Mutex::new(BTreeSet::new()));
    let publisher = {
        let (bus, stream, published) = (harness.bus.clone(), stream.clone(), published.clone());
        tokio::spawn(async move {
            let mut failures = 0u64;
            for number in 0..EVENTS {
                // Retry until this event is stored; only `Ok` counts as published.
                loop {
                    match bus.publish(&stream, &numbered_event(number)).await {
                        Ok(_) => break,
                        Err(error) => {
                            assert!(error.is_retryable(), "unexpected error: {error}");
                            failures += 1;
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                    }
                }
                published.lock().unwrap().insert(number);
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            failures
        })
    };

    eventually("the first events are consumed", || async {
        consumer.deliveries().len() as u64 >= RESTART_AFTER
    })
    .await;
    let restarter = tokio::task::spawn_blocking(move || {
        server.shutdown();
        std::thread::sleep(Duration::from_millis(300));
        RedisServer::start(port, directory.path())
    });
    let server = restarter.await.unwrap();

    let failures = tokio::time::timeout(DEADLINE, publisher)
        .await
        .expect("publishing finishes")
        .unwrap();
    let published = published.lock().unwrap().clone();
    assert_eq!(published.len() as u64, EVENTS);
    eventually("every published event is consumed", || async {
        let seen: BTreeSet<u64> = consumer.deliveries().iter().map(number_of).collect();
        published.is_subset(&seen)
    })
    .await;
    assert!(failures > 0, "the restart was noticed by the publisher");
    consumer.stop().await;
    drop(harness);
    drop(server);
}
