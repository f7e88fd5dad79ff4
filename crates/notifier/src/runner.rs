//! `run_notifier`: consumes `dv:alerts` in the `notifier` consumer group and runs the
//! delivery loop beside it.
//!
//! Each read of the bus is made durable as pending notifications in one store transaction
//! ([`Pipeline::enqueue_all`]) before its entries are acknowledged; a store outage leaves the entry pending (retried by the
//! bus), a payload that is not a transition goes to the dead letters. The delivery loop sends
//! what is due every `tick_ms`, after requeueing rows a crash left in `sending`.

use std::sync::Arc;
use std::time::Duration;

use detectviz::AlertTransition;
use eventbus::{CancellationToken, Delivery, EventBus, HandlerError};
use store::Store;

use crate::config::NotifierConfig;
use crate::error::NotifierError;
use crate::pipeline::Pipeline;

/// The stream the alert engine publishes transitions on (`alert::runner::ALERTS_STREAM`).
pub const ALERTS_STREAM: &str = alert::runner::ALERTS_STREAM;

/// The notifier's consumer group on `dv:alerts`.
pub const NOTIFIER_GROUP: &str = "notifier";

/// The prefix of the CloudEvents `type` of alert transitions.
const ALERT_EVENT_TYPE_PREFIX: &str = "io.detectviz.alert.";

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Runs the notifier until `shutdown`: validates `config`, builds the channels, resumes the
/// outbox, then consumes `dv:alerts` as consumer `notifier-<pid>` and delivers on a tick.
pub async fn run_notifier(
    bus: EventBus,
    store: Store,
    config: NotifierConfig,
    shutdown: CancellationToken,
) -> Result<(), NotifierError> {
    let tick = Duration::from_millis(config.tick_ms.max(10));
    let pipeline = Arc::new(Pipeline::new(config, store)?);
    let requeued = pipeline.resume(now_ms()).await?;
    if requeued > 0 {
        tracing::info!(
            requeued,
            "resuming notifications a previous run left in sending"
        );
    }
    let delivery_loop = tokio::spawn(deliver_until(pipeline.clone(), tick, shutdown.clone()));
    let consumer = format!("notifier-{}", std::process::id());
    let handler = move |deliveries: Vec<Delivery>| {
        let pipeline = pipeline.clone();
        async move { handle_deliveries(&pipeline, &deliveries).await }
    };
    let consumed = bus
        .subscribe_batch(
            ALERTS_STREAM,
            NOTIFIER_GROUP,
            &consumer,
            handler,
            shutdown.clone(),
        )
        .await;
    shutdown.cancel();
    let _ = delivery_loop.await;
    consumed?;
    Ok(())
}

/// The transition of one bus entry; `None` for an event that is not an alert transition
/// (nothing to do).
fn read_transition(delivery: &Delivery) -> Result<Option<AlertTransition>, HandlerError> {
    if !delivery
        .event
        .event_type
        .starts_with(ALERT_EVENT_TYPE_PREFIX)
    {
        return Ok(None);
    }
    delivery
        .event
        .data_as()
        .map(Some)
        .map_err(|error| HandlerError::permanent(format!("not an alert transition: {error}")))
}

fn handler_error(error: NotifierError) -> HandlerError {
    if error.is_retryable() {
        HandlerError::retryable(error)
    } else {
        HandlerError::permanent(error)
    }
}

/// Enqueues the transition of one bus entry; `Ok` only once its rows are durable.
pub async fn handle_delivery(pipeline: &Pipeline, delivery: &Delivery) -> Result<(), HandlerError> {
    let Some(transition) = read_transition(delivery)? else {
        return Ok(());
    };
    match pipeline.enqueue(&transition, now_ms()).await {
        Ok(_) => Ok(()),
        Err(error) => Err(handler_error(error)),
    }
}

/// Enqueues the transitions of one read of the bus in one store transaction; each entry
/// gets its own result. A store outage fails them all (retryable); a refused batch is
/// enqueued again entry by entry, so only the entry at fault fails.
pub async fn handle_deliveries(
    pipeline: &Pipeline,
    deliveries: &[Delivery],
) -> Vec<Result<(), HandlerError>> {
    let mut results = Vec::with_capacity(deliveries.len());
    let mut transitions = Vec::with_capacity(deliveries.len());
    for delivery in deliveries {
        match read_transition(delivery) {
            Ok(Some(transition)) => {
                transitions.push(transition);
                results.push(Ok(()));
            }
            Ok(None) => results.push(Ok(())),
            Err(error) => results.push(Err(error)),
        }
    }
    let Err(error) = pipeline.enqueue_all(&transitions, now_ms()).await else {
        return results;
    };
    if error.is_retryable() {
        let message = error.to_string();
        return results
            .into_iter()
            .map(|result| result.and_then(|()| Err(HandlerError::retryable(message.clone()))))
            .collect();
    }
    for delivery_and_result in deliveries.iter().zip(results.iter_mut()) {
        let (delivery, result) = delivery_and_result;
        if result.is_err() {
            continue;
        }
        *result = handle_delivery(pipeline, delivery).await;
    }
    results
}

async fn deliver_until(pipeline: Arc<Pipeline>, tick: Duration, shutdown: CancellationToken) {
    loop {
        match pipeline.deliver_due(now_ms()).await {
            // A full round: more rows are probably due, go again without waiting.
            Ok(report)
                if report.due_groups >= crate::pipeline::DUE_GROUPS as usize
                    && report.handled() > 0 =>
            {
                if shutdown.is_cancelled() {
                    return;
                }
                tokio::task::yield_now().await;
                continue;
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "notification delivery round failed"),
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(tick) => {}
        }
    }
}
