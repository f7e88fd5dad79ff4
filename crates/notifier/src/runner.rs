//! `run_notifier`: consumes `dv:alerts` in the `notifier` consumer group and runs the
//! delivery loop beside it.
//!
//! Each transition is made durable as pending notifications ([`Pipeline::enqueue`]) before
//! its bus entry is acknowledged; a store outage leaves the entry pending (retried by the
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
    let handler = move |delivery: Delivery| {
        let pipeline = pipeline.clone();
        async move { handle_delivery(&pipeline, &delivery).await }
    };
    let consumed = bus
        .subscribe(
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

/// Enqueues the transition of one bus entry; `Ok` only once its rows are durable.
pub async fn handle_delivery(pipeline: &Pipeline, delivery: &Delivery) -> Result<(), HandlerError> {
    if !delivery
        .event
        .event_type
        .starts_with(ALERT_EVENT_TYPE_PREFIX)
    {
        return Ok(());
    }
    let transition: AlertTransition = delivery
        .event
        .data_as()
        .map_err(|error| HandlerError::permanent(format!("not an alert transition: {error}")))?;
    match pipeline.enqueue(&transition, now_ms()).await {
        Ok(_) => Ok(()),
        Err(error) if error.is_retryable() => Err(HandlerError::retryable(error)),
        Err(error) => Err(HandlerError::permanent(error)),
    }
}

async fn deliver_until(pipeline: Arc<Pipeline>, tick: Duration, shutdown: CancellationToken) {
    loop {
        match pipeline.deliver_due(now_ms()).await {
            // A full round: more rows are probably due, go again without waiting.
            Ok(report) if report.handled() >= crate::pipeline::DUE_BATCH as usize => {
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
