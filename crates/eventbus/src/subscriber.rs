//! The subscribe loop, written once above the backend seam: read new entries, call the handler
//! in stream order, ack what succeeded, retry what failed after `retry_delay_ms`, dead-letter
//! after `max_deliveries` (or at once for an invalid envelope or a permanent error), claim the
//! idle entries of consumers that went away, and back off while the backend is unreachable.

use std::collections::BTreeMap;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::time::{Duration, Instant};

use detectviz::Event;
use futures::FutureExt;
use tokio_util::sync::CancellationToken;

use crate::backend::{GroupReader, RawDelivery};
use crate::{BusError, DeadLetter, Delivery, EntryId, EventBus, HandlerError, StreamEntry};

const LAG_REPORT_INTERVAL: Duration = Duration::from_secs(15);
const ACK_FLUSH_INTERVAL: Duration = Duration::from_millis(200);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Counters of one subscriber, registered once so the hot path only increments.
struct SubscriberMetrics {
    delivered: metrics::Counter,
    redelivered: metrics::Counter,
    acked: metrics::Counter,
    dead_lettered: metrics::Counter,
    handler_errors: metrics::Counter,
}

impl SubscriberMetrics {
    fn new(stream: &str, group: &str) -> SubscriberMetrics {
        let labels = [("stream", stream.to_string()), ("group", group.to_string())];
        SubscriberMetrics {
            delivered: metrics::counter!("detectviz_bus_delivered_total", &labels),
            redelivered: metrics::counter!("detectviz_bus_redelivered_total", &labels),
            acked: metrics::counter!("detectviz_bus_acked_total", &labels),
            dead_lettered: metrics::counter!("detectviz_bus_dead_lettered_total", &labels),
            handler_errors: metrics::counter!("detectviz_bus_handler_errors_total", &labels),
        }
    }
}

/// An entry whose handler failed, to be delivered again at `due`.
struct Retry {
    due: Instant,
    last_error: String,
}

/// What a subscriber calls with the entries it read: one result per delivery, in order.
pub(crate) trait DeliveryHandler {
    /// Most deliveries per call: acks are flushed between calls at least every
    /// [`ACK_FLUSH_INTERVAL`], so a slow one-by-one handler does not hold a whole read.
    const CHUNK: usize;

    fn handle(
        &self,
        deliveries: Vec<Delivery>,
    ) -> impl Future<Output = Vec<Result<(), HandlerError>>>;
}

/// A handler of one delivery at a time ([`EventBus::subscribe`]).
pub(crate) struct OneByOne<H>(pub H);

impl<H, F> DeliveryHandler for OneByOne<H>
where
    H: Fn(Delivery) -> F,
    F: Future<Output = Result<(), HandlerError>>,
{
    const CHUNK: usize = 1;

    async fn handle(&self, deliveries: Vec<Delivery>) -> Vec<Result<(), HandlerError>> {
        let mut results = Vec::with_capacity(deliveries.len());
        for delivery in deliveries {
            let handled = AssertUnwindSafe(async { (self.0)(delivery).await })
                .catch_unwind()
                .await
                .unwrap_or_else(|panic| {
                    Err(HandlerError::retryable(panic_message(panic.as_ref())))
                });
            results.push(handled);
        }
        results
    }
}

/// A handler of every delivery read in one round ([`EventBus::subscribe_batch`]).
pub(crate) struct InBatches<H>(pub H);

impl<H, F> DeliveryHandler for InBatches<H>
where
    H: Fn(Vec<Delivery>) -> F,
    F: Future<Output = Vec<Result<(), HandlerError>>>,
{
    const CHUNK: usize = usize::MAX;

    async fn handle(&self, deliveries: Vec<Delivery>) -> Vec<Result<(), HandlerError>> {
        let count = deliveries.len();
        let handled = AssertUnwindSafe(async { (self.0)(deliveries).await })
            .catch_unwind()
            .await;
        let failure = match handled {
            Ok(results) if results.len() == count => return results,
            Ok(results) => format!(
                "batch handler returned {} results for {count} deliveries",
                results.len()
            ),
            Err(panic) => panic_message(panic.as_ref()),
        };
        (0..count)
            .map(|_| Err(HandlerError::retryable(failure.clone())))
            .collect()
    }
}

pub(crate) struct Subscriber<H> {
    bus: EventBus,
    stream: String,
    group: String,
    consumer: String,
    handler: H,
    metrics: SubscriberMetrics,
    retries: BTreeMap<EntryId, Retry>,
    unacked: Vec<EntryId>,
    last_ack_flush: Instant,
    own_pending_recovered: bool,
    next_claim_check: Instant,
    next_lag_report: Instant,
}

impl<H: DeliveryHandler> Subscriber<H> {
    pub fn new(bus: EventBus, stream: &str, group: &str, consumer: &str, handler: H) -> Self {
        let now = Instant::now();
        Subscriber {
            bus,
            stream: stream.to_string(),
            group: group.to_string(),
            consumer: consumer.to_string(),
            handler,
            metrics: SubscriberMetrics::new(stream, group),
            retries: BTreeMap::new(),
            unacked: Vec::new(),
            last_ack_flush: now,
            own_pending_recovered: false,
            next_claim_check: now,
            next_lag_report: now,
        }
    }

    pub async fn run(mut self, shutdown: CancellationToken) -> Result<(), BusError> {
        let mut consecutive_failures = 0u32;
        let mut reader = None;
        while !shutdown.is_cancelled() {
            let outcome = match reader.as_mut() {
                None => self.open_reader().await.map(|opened| reader = Some(opened)),
                Some(reader) => self.step(reader, &shutdown).await,
            };
            let Err(error) = outcome else {
                consecutive_failures = 0;
                continue;
            };
            consecutive_failures += 1;
            let delay = backoff(consecutive_failures);
            tracing::warn!(
                stream = %self.stream, group = %self.group, consumer = %self.consumer,
                %error, retry_in_ms = delay.as_millis() as u64,
                "event bus subscriber failed; retrying"
            );
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(delay) => {}
            }
        }
        if let Err(error) = self.flush_acks().await {
            tracing::warn!(stream = %self.stream, %error, "final ack failed; entries will be redelivered");
        }
        Ok(())
    }

    async fn open_reader(&self) -> Result<GroupReader, BusError> {
        self.bus
            .backend()
            .open_reader(&self.stream, &self.group, &self.consumer)
            .await
    }

    fn batch_size(&self) -> usize {
        self.bus.config().read_batch_size
    }

    async fn step(
        &mut self,
        reader: &mut GroupReader,
        shutdown: &CancellationToken,
    ) -> Result<(), BusError> {
        self.flush_acks().await?;
        let config = self.bus.config();
        let retry_delay = Duration::from_millis(config.retry_delay_ms);
        let claim_idle = Duration::from_millis(config.claim_idle_ms);
        let block = Duration::from_millis(config.block_ms);
        let batch_size = self.batch_size();
        if !self.own_pending_recovered {
            // Entries this consumer name held when its previous run stopped.
            let ids = reader.own_pending(batch_size).await?;
            let deliveries = reader.claim(&ids, Duration::ZERO).await?;
            self.own_pending_recovered = ids.len() < batch_size;
            return self.handle_all(deliveries).await;
        }
        let now = Instant::now();
        let due: Vec<EntryId> = self
            .retries
            .iter()
            .filter(|(_, retry)| retry.due <= now)
            .map(|(id, _)| *id)
            .take(batch_size)
            .collect();
        if !due.is_empty() {
            let deliveries = reader.claim(&due, retry_delay).await?;
            let claimed: Vec<EntryId> = deliveries.iter().map(|raw| raw.entry.id).collect();
            // Those not claimed back were taken over by another consumer, or trimmed away.
            self.retries
                .retain(|id, _| !due.contains(id) || claimed.contains(id));
            return self.handle_all(deliveries).await;
        }
        if now >= self.next_claim_check {
            let deliveries = reader.claim_idle(claim_idle, batch_size).await?;
            if deliveries.len() < batch_size {
                let interval = (claim_idle / 2).clamp(Duration::from_millis(10), MAX_BACKOFF);
                self.next_claim_check = now + interval;
            }
            if !deliveries.is_empty() {
                return self.handle_all(deliveries).await;
            }
        }
        if now >= self.next_lag_report {
            self.next_lag_report = now + LAG_REPORT_INTERVAL;
            if let Err(error) = self.bus.info(&self.stream).await {
                tracing::debug!(stream = %self.stream, %error, "lag report failed");
            }
        }
        let mut wait = block.min(self.next_claim_check.saturating_duration_since(now));
        if let Some(earliest_retry) = self.retries.values().map(|retry| retry.due).min() {
            wait = wait.min(earliest_retry.saturating_duration_since(now));
        }
        let wait = wait.max(Duration::from_millis(1));
        let deliveries = tokio::select! {
            biased;
            _ = shutdown.cancelled() => return Ok(()),
            deliveries = reader.read_new(batch_size, wait) => deliveries?,
        };
        self.handle_all(deliveries).await
    }

    /// Dead-letters what cannot be handled, hands the rest to the handler in one call, then
    /// acks what succeeded and schedules or dead-letters what failed.
    async fn handle_all(&mut self, deliveries: Vec<RawDelivery>) -> Result<(), BusError> {
        let max_deliveries = self.bus.config().max_deliveries;
        let mut handled_entries = Vec::with_capacity(deliveries.len());
        let mut batch = Vec::with_capacity(deliveries.len());
        for raw in deliveries {
            let RawDelivery {
                entry,
                delivery_count,
            } = raw;
            let previous_error = self.retries.remove(&entry.id).map(|retry| retry.last_error);
            self.metrics.delivered.increment(1);
            if delivery_count > 1 {
                self.metrics.redelivered.increment(1);
            }
            if delivery_count > max_deliveries {
                let reason = previous_error.unwrap_or_else(|| {
                    format!(
                        "not acked after {} deliveries (its consumer stopped while handling it)",
                        delivery_count - 1
                    )
                });
                self.dead_letter(entry, delivery_count, reason).await;
                continue;
            }
            let event = match Event::from_json(&entry.payload) {
                Ok(event) => event,
                Err(error) => {
                    let reason = format!("invalid envelope: {error}");
                    self.dead_letter(entry, delivery_count, reason).await;
                    continue;
                }
            };
            batch.push(Delivery {
                stream: self.stream.clone(),
                id: entry.id,
                event,
                delivery_count,
            });
            handled_entries.push((entry, delivery_count));
        }
        let mut handled_entries = handled_entries.into_iter();
        let mut batch = batch.into_iter().peekable();
        while batch.peek().is_some() {
            let chunk: Vec<Delivery> = batch.by_ref().take(H::CHUNK).collect();
            let results = self.handler.handle(chunk).await;
            // `results` first: zip stops at its end without taking an entry of the next chunk.
            for (handled, (entry, delivery_count)) in
                results.into_iter().zip(handled_entries.by_ref())
            {
                self.record_outcome(entry, delivery_count, handled).await;
            }
            if self.unacked.len() >= self.batch_size()
                || self.last_ack_flush.elapsed() >= ACK_FLUSH_INTERVAL
            {
                // A failed ack keeps its ids for the next flush; carry on with the batch.
                if let Err(error) = self.flush_acks().await {
                    tracing::warn!(stream = %self.stream, %error, "ack failed; will retry");
                }
            }
        }
        self.flush_acks().await
    }

    async fn record_outcome(
        &mut self,
        entry: StreamEntry,
        delivery_count: u32,
        handled: Result<(), HandlerError>,
    ) {
        let Err(error) = handled else {
            self.unacked.push(entry.id);
            return;
        };
        self.metrics.handler_errors.increment(1);
        let max_deliveries = self.bus.config().max_deliveries;
        if !error.is_retryable() || delivery_count >= max_deliveries {
            return self
                .dead_letter(entry, delivery_count, error.message().to_string())
                .await;
        }
        tracing::warn!(
            stream = %self.stream, group = %self.group, id = %entry.id, delivery_count,
            %error, "event handler failed; the entry will be delivered again"
        );
        self.schedule_retry(entry.id, error.to_string());
    }

    fn schedule_retry(&mut self, id: EntryId, last_error: String) {
        let due = Instant::now() + Duration::from_millis(self.bus.config().retry_delay_ms);
        self.retries.insert(id, Retry { due, last_error });
    }

    async fn dead_letter(&mut self, entry: StreamEntry, delivery_count: u32, error: String) {
        let record = DeadLetter {
            dead_letter_id: EntryId::ZERO,
            stream: self.stream.clone(),
            entry_id: entry.id,
            group: self.group.clone(),
            consumer: self.consumer.clone(),
            delivery_count,
            error: error.clone(),
            dead_at: chrono::Utc::now(),
            payload: String::from_utf8_lossy(&entry.payload).into_owned(),
        };
        let record = serde_json::to_vec(&record).expect("a dead letter serialises");
        let moved = self
            .bus
            .backend()
            .dead_letter(&self.stream, &self.group, entry.id, record)
            .await;
        match moved {
            Ok(()) => {
                self.metrics.dead_lettered.increment(1);
                tracing::warn!(
                    stream = %self.stream, group = %self.group, id = %entry.id,
                    delivery_count, %error, "entry moved to the dead-letter stream"
                );
            }
            Err(move_error) => {
                tracing::warn!(
                    stream = %self.stream, id = %entry.id, error = %move_error,
                    "moving an entry to the dead-letter stream failed; will retry"
                );
                self.schedule_retry(entry.id, error);
            }
        }
    }

    async fn flush_acks(&mut self) -> Result<(), BusError> {
        self.last_ack_flush = Instant::now();
        if self.unacked.is_empty() {
            return Ok(());
        }
        self.bus
            .backend()
            .ack(&self.stream, &self.group, &self.unacked)
            .await?;
        self.metrics.acked.increment(self.unacked.len() as u64);
        self.unacked.clear();
        Ok(())
    }
}

/// A panicking handler counts as a retryable failure, so one bad entry cannot stop a consumer.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    let detail = panic
        .downcast_ref::<&str>()
        .map(|text| text.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".to_string());
    format!("handler panicked: {detail}")
}

/// 100 ms, 200 ms, 400 ms, ... capped at five seconds.
fn backoff(consecutive_failures: u32) -> Duration {
    let exponent = consecutive_failures.saturating_sub(1).min(16);
    (Duration::from_millis(100) * 2u32.pow(exponent)).min(MAX_BACKOFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(1), Duration::from_millis(100));
        assert_eq!(backoff(2), Duration::from_millis(200));
        assert_eq!(backoff(30), MAX_BACKOFF);
    }
}
