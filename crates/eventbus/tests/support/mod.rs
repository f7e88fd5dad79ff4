//! Test support shared by the contract suite and the Redis restart test: a bus on either
//! backend with unique stream names (Redis keys are deleted when the harness drops), a consumer
//! running in the background that records what it was handed, and polling with a deadline.

#![allow(dead_code)]

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use eventbus::{
    BusBackend, BusConfig, BusError, CancellationToken, Delivery, EventBus, HandlerError,
    dead_letter_stream,
};

/// Generous: only there so a broken feature fails instead of hanging.
pub const DEADLINE: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Embedded,
    Redis,
}

pub fn shared_redis_url() -> String {
    std::env::var("DETECTVIZ_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// Short timings so redelivery and claims happen quickly in tests.
pub fn test_config(kind: Kind) -> BusConfig {
    BusConfig {
        backend: match kind {
            Kind::Embedded => BusBackend::Embedded,
            Kind::Redis => BusBackend::Redis,
        },
        redis_url: shared_redis_url(),
        max_deliveries: 5,
        claim_idle_ms: 60_000,
        retry_delay_ms: 50,
        retention_max_len: 0,
        retention_max_age_s: 0,
        read_batch_size: 16,
        block_ms: 200,
        embedded_poll_ms: 20,
        ..BusConfig::default()
    }
}

pub struct Harness {
    pub kind: Kind,
    pub config: BusConfig,
    pub bus: EventBus,
    prefix: String,
    streams: Mutex<Vec<String>>,
    _directory: tempfile::TempDir,
}

impl Harness {
    pub async fn new(kind: Kind, adjust: impl FnOnce(&mut BusConfig)) -> Harness {
        let directory = tempfile::tempdir().expect("temporary directory");
        let mut config = test_config(kind);
        config.embedded_path = directory.path().join("bus.db");
        adjust(&mut config);
        let bus = eventbus::connect(&config)
            .await
            .expect("connect to the bus");
        Harness {
            kind,
            config,
            bus,
            prefix: format!("test:eventbus:{}", uuid::Uuid::now_v7()),
            streams: Mutex::new(Vec::new()),
            _directory: directory,
        }
    }

    /// A stream name no other test uses.
    pub fn stream(&self, name: &str) -> String {
        let stream = format!("{}:{name}", self.prefix);
        self.streams.lock().unwrap().push(stream.clone());
        stream
    }

    /// Another bus handle on the same storage, as a second process would open it.
    pub async fn another_bus(&self, adjust: impl FnOnce(&mut BusConfig)) -> EventBus {
        let mut config = self.config.clone();
        adjust(&mut config);
        eventbus::connect(&config)
            .await
            .expect("connect to the bus")
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        if self.kind != Kind::Redis {
            return;
        }
        let Ok(client) = redis::Client::open(self.config.redis_url.as_str()) else {
            return;
        };
        let Ok(mut connection) = client.get_connection() else {
            return;
        };
        for stream in self.streams.lock().unwrap().iter() {
            let _: Result<(), _> = redis::cmd("DEL")
                .arg(stream)
                .arg(dead_letter_stream(stream))
                .query(&mut connection);
        }
    }
}

/// A subscriber running in the background, recording every delivery handed to it.
pub struct RunningConsumer {
    pub seen: Arc<Mutex<Vec<Delivery>>>,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<Result<(), BusError>>,
}

impl RunningConsumer {
    /// `behaviour` decides each delivery's outcome; it is recorded whatever it returns.
    pub fn start<B>(bus: &EventBus, stream: &str, group: &str, consumer: &str, behaviour: B) -> Self
    where
        B: Fn(&Delivery) -> Result<(), HandlerError> + Send + Sync + 'static,
    {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let shutdown = CancellationToken::new();
        let behaviour = Arc::new(behaviour);
        let handler_seen = seen.clone();
        let handler = move |delivery: Delivery| {
            let seen = handler_seen.clone();
            let behaviour = behaviour.clone();
            async move {
                let outcome = behaviour(&delivery);
                seen.lock().unwrap().push(delivery);
                outcome
            }
        };
        let (bus, stream, group, consumer) = (
            bus.clone(),
            stream.to_string(),
            group.to_string(),
            consumer.to_string(),
        );
        let task_shutdown = shutdown.clone();
        let task = tokio::spawn(async move {
            bus.subscribe(&stream, &group, &consumer, handler, task_shutdown)
                .await
        });
        RunningConsumer {
            seen,
            shutdown,
            task,
        }
    }

    pub fn accepting(bus: &EventBus, stream: &str, group: &str, consumer: &str) -> Self {
        RunningConsumer::start(bus, stream, group, consumer, |_| Ok(()))
    }

    pub fn deliveries(&self) -> Vec<Delivery> {
        self.seen.lock().unwrap().clone()
    }

    /// Waits until at least `count` deliveries were handed over, and returns them all.
    pub async fn wait_for(&self, count: usize) -> Vec<Delivery> {
        eventually(&format!("{count} deliveries"), || async {
            self.seen.lock().unwrap().len() >= count
        })
        .await;
        self.deliveries()
    }

    pub async fn stop(self) {
        self.shutdown.cancel();
        let result = tokio::time::timeout(DEADLINE, self.task)
            .await
            .expect("the subscriber stops on shutdown")
            .expect("the subscriber task does not panic");
        result.expect("the subscriber ends without error");
    }
}

/// Polls `condition` until it holds; panics naming `what` after `DEADLINE`.
pub async fn eventually<C, F>(what: &str, mut condition: C)
where
    C: FnMut() -> F,
    F: Future<Output = bool>,
{
    let started = tokio::time::Instant::now();
    while !condition().await {
        assert!(started.elapsed() < DEADLINE, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

pub fn numbered_event(number: u64) -> detectviz::Event {
    detectviz::Event::new(
        "/detectviz/test",
        "io.detectviz.test.numbered",
        &serde_json::json!({ "number": number }),
    )
    .expect("a valid event")
}

pub fn number_of(delivery: &Delivery) -> u64 {
    delivery.event.data["number"]
        .as_u64()
        .expect("a numbered event")
}
