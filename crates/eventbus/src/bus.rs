//! `EventBus`: the handle every module holds to publish, subscribe, inspect and replay.

use std::future::Future;
use std::sync::Arc;

use detectviz::Event;
use tokio_util::sync::CancellationToken;

use crate::backend::Backend;
use crate::embedded::EmbeddedBackend;
use crate::redis::RedisBackend;
use crate::subscriber::{InBatches, OneByOne, Subscriber};
use crate::{
    BusBackend, BusConfig, BusError, DeadLetter, Delivery, EntryId, HandlerError, ReplayFrom,
    StreamEntry, StreamInfo, dead_letter_stream,
};

/// Opens the backend `config` selects: the SQLite file, or a connection to Redis.
pub async fn connect(config: &BusConfig) -> Result<EventBus, BusError> {
    config.validate().map_err(BusError::InvalidConfig)?;
    let backend = match config.backend {
        BusBackend::Embedded => Backend::Embedded(EmbeddedBackend::open(config).await?),
        BusBackend::Redis => Backend::Redis(RedisBackend::connect(config).await?),
    };
    Ok(EventBus {
        inner: Arc::new(BusInner {
            backend,
            config: config.clone(),
        }),
    })
}

/// The event bus. Cloning is cheap; clones share connections.
#[derive(Clone)]
pub struct EventBus {
    inner: Arc<BusInner>,
}

struct BusInner {
    backend: Backend,
    config: BusConfig,
}

impl EventBus {
    pub(crate) fn backend(&self) -> &Backend {
        &self.inner.backend
    }

    pub fn config(&self) -> &BusConfig {
        &self.inner.config
    }

    /// `"redis"` or `"embedded"`, for `/api/health` and the console.
    pub fn backend_name(&self) -> &'static str {
        self.backend().name()
    }

    /// Succeeds when the backend answers (Redis PING, a query on the SQLite file).
    pub async fn health(&self) -> Result<(), BusError> {
        self.backend().ping().await
    }

    /// Appends one event; once this returns `Ok` the event is stored.
    pub async fn publish(&self, stream: &str, event: &Event) -> Result<EntryId, BusError> {
        let ids = self
            .publish_batch(stream, std::slice::from_ref(event))
            .await?;
        ids.into_iter()
            .next()
            .ok_or_else(|| BusError::UnexpectedReply("no id for a published event".to_string()))
    }

    /// Appends events in order in as few round trips as the backend allows.
    pub async fn publish_batch(
        &self,
        stream: &str,
        events: &[Event],
    ) -> Result<Vec<EntryId>, BusError> {
        let payloads: Vec<Vec<u8>> = events
            .iter()
            .map(|event| event.to_json().into_bytes())
            .collect();
        self.publish_payloads(stream, &payloads).await
    }

    /// Appends payloads as they are, without checking that they are event envelopes. For
    /// bridges that forward bytes; a payload that is no envelope is dead-lettered by consumers.
    pub async fn publish_payloads(
        &self,
        stream: &str,
        payloads: &[Vec<u8>],
    ) -> Result<Vec<EntryId>, BusError> {
        if payloads.is_empty() {
            return Ok(Vec::new());
        }
        let appended = self.backend().append(stream, payloads).await;
        let ids = match appended {
            Ok(ids) => ids,
            Err(error) => {
                tracing::warn!(%stream, %error, "publishing to the event bus failed");
                metrics::counter!("detectviz_bus_publish_errors_total", "stream" => stream.to_string())
                    .increment(1);
                return Err(error);
            }
        };
        metrics::counter!("detectviz_bus_published_total", "stream" => stream.to_string())
            .increment(ids.len() as u64);
        Ok(ids)
    }

    /// Consumes `stream` as `consumer` of `group` until `shutdown` is cancelled.
    ///
    /// Entries are handed to `handler` one at a time in stream order. `Ok` acks the entry; an
    /// error leaves it pending and it is delivered again after `retry_delay_ms`, until
    /// `max_deliveries`, when it moves to `<stream>:dead` with the last error. Entries idle
    /// longer than `claim_idle_ms` at another consumer of the group (one that died) are taken
    /// over. The group is created on first use, reading from the start of the retained stream.
    /// Backend outages are logged and retried with backoff; this returns `Ok` on shutdown.
    /// Consumer names must be unique among the live subscribers of a group.
    pub async fn subscribe<H, F>(
        &self,
        stream: &str,
        group: &str,
        consumer: &str,
        handler: H,
        shutdown: CancellationToken,
    ) -> Result<(), BusError>
    where
        H: Fn(Delivery) -> F,
        F: Future<Output = Result<(), HandlerError>>,
    {
        Subscriber::new(self.clone(), stream, group, consumer, OneByOne(handler))
            .run(shutdown)
            .await
    }

    /// Like [`EventBus::subscribe`], but `handler` gets every entry of one read (at most
    /// `read_batch_size`, in stream order) in one call and answers one result per entry, in
    /// the same order, so it can make a whole read durable in one transaction. A panic, or
    /// a wrong number of results, counts as a retryable failure of every entry of the call.
    pub async fn subscribe_batch<H, F>(
        &self,
        stream: &str,
        group: &str,
        consumer: &str,
        handler: H,
        shutdown: CancellationToken,
    ) -> Result<(), BusError>
    where
        H: Fn(Vec<Delivery>) -> F,
        F: Future<Output = Vec<Result<(), HandlerError>>>,
    {
        Subscriber::new(self.clone(), stream, group, consumer, InBatches(handler))
            .run(shutdown)
            .await
    }

    /// Length, first and last ids, and per group: consumers, pending, lag, last delivered id.
    /// Also updates the `detectviz_bus_consumer_lag` gauges.
    pub async fn info(&self, stream: &str) -> Result<StreamInfo, BusError> {
        let info = self.backend().info(stream).await?;
        for group in &info.groups {
            metrics::gauge!(
                "detectviz_bus_consumer_lag",
                "stream" => stream.to_string(),
                "group" => group.name.clone()
            )
            .set(group.lag as f64);
            metrics::gauge!(
                "detectviz_bus_pending",
                "stream" => stream.to_string(),
                "group" => group.name.clone()
            )
            .set(group.pending as f64);
        }
        Ok(info)
    }

    /// Names of the streams the backend holds (dead-letter streams included).
    pub async fn streams(&self) -> Result<Vec<String>, BusError> {
        self.backend().streams().await
    }

    /// Up to `limit` entries from `from` (inclusive), oldest first. Reading does not touch
    /// consumer groups; to process them again, publish them anew.
    pub async fn replay(
        &self,
        stream: &str,
        from: ReplayFrom,
        limit: usize,
    ) -> Result<Vec<StreamEntry>, BusError> {
        self.backend().range(stream, from.first_id(), limit).await
    }

    /// The oldest `limit` dead letters of `stream`.
    pub async fn dead_letters(
        &self,
        stream: &str,
        limit: usize,
    ) -> Result<Vec<DeadLetter>, BusError> {
        let entries = self
            .backend()
            .range(&dead_letter_stream(stream), EntryId::ZERO, limit)
            .await?;
        let mut dead_letters = Vec::with_capacity(entries.len());
        for entry in entries {
            match serde_json::from_slice::<DeadLetter>(&entry.payload) {
                Ok(dead_letter) => dead_letters.push(DeadLetter {
                    dead_letter_id: entry.id,
                    ..dead_letter
                }),
                Err(error) => {
                    tracing::warn!(%stream, id = %entry.id, %error, "unreadable dead letter skipped");
                }
            }
        }
        Ok(dead_letters)
    }

    /// Applies retention exactly: at most `retention_max_len` entries, none older than
    /// `retention_max_age_s`. Publishing applies it approximately as it goes. Returns how many
    /// entries were removed.
    pub async fn trim(&self, stream: &str) -> Result<u64, BusError> {
        let config = self.config();
        let min_id = config
            .max_age()
            .and_then(|age| chrono::Duration::from_std(age).ok())
            .map(|age| EntryId::at_time(chrono::Utc::now() - age));
        self.backend().trim(stream, config.max_len(), min_id).await
    }
}
