//! The recorder: consumes `dv:alerts` in its own group and makes each transition durable in
//! the store (history row plus current state) before the entry is acknowledged.
//!
//! Both writes are idempotent: the history is keyed by the event id (a redelivered event adds
//! nothing) and the current state ignores anything older than what it holds. An acknowledgement
//! holds notifications until the alert resolves or its level rises, so those transitions
//! clear it. Each read of the bus is written in one store transaction
//! ([`record_deliveries`]), so a burst of alerts costs one commit per read, not three per
//! transition.

use detectviz::{AlertPhase, TransitionKind};
use eventbus::{BusError, CancellationToken, Delivery, EventBus, HandlerError};
use store::{AlertStateRecord, AlertTransitionRecord, NewAlertEvent, Store, StoreError};

use crate::Transition;
use crate::runner::ALERTS_STREAM;

/// Consumer group of the recorder on `dv:alerts`.
pub const RECORDER_GROUP: &str = "recorder";

/// What recording one transition writes: its history row, the alert's current state and
/// whether it ends the acknowledgement.
pub fn transition_record(event_id: &str, transition: &Transition) -> AlertTransitionRecord {
    let event = NewAlertEvent {
        event_id: event_id.to_string(),
        fingerprint: transition.fingerprint.clone(),
        kind: transition.kind.as_str().to_string(),
        from_state: transition.from.as_str().to_string(),
        to_state: transition.to.as_str().to_string(),
        severity: transition.severity.as_str().to_string(),
        previous_severity: transition
            .previous_severity
            .map(|severity| severity.as_str().to_string()),
        value: transition.value,
        at_ms: transition.at_ms,
        payload: serde_json::to_value(transition).expect("a transition serialises"),
    };
    let state = AlertStateRecord {
        fingerprint: transition.fingerprint.clone(),
        rule_id: transition.rule_id.clone(),
        rule_name: transition.rule_name.clone(),
        severity: transition.severity.as_str().to_string(),
        state: transition.to.as_str().to_string(),
        labels: transition.labels.0.clone(),
        annotations: transition.annotations.clone(),
        value: transition.value,
        active_since_ms: transition.active_since_ms,
        updated_at_ms: transition.at_ms,
        resolved_at_ms: (transition.to == AlertPhase::Resolved).then_some(transition.at_ms),
    };
    let clears_acknowledgement = matches!(
        transition.kind,
        TransitionKind::Resolved | TransitionKind::Escalated
    );
    AlertTransitionRecord {
        event,
        state,
        clears_acknowledgement,
    }
}

/// Writes one transition to the history and the current state.
pub async fn record_transition(
    store: &Store,
    event_id: &str,
    transition: &Transition,
) -> Result<(), StoreError> {
    let record = transition_record(event_id, transition);
    store
        .alert_events()
        .record_transitions(std::slice::from_ref(&record))
        .await?;
    Ok(())
}

/// Records the transitions of one read of the bus in one store transaction: each delivery
/// gets its own result (a payload that is not a transition fails alone, permanently).
pub async fn record_deliveries(
    store: &Store,
    deliveries: &[Delivery],
) -> Vec<Result<(), HandlerError>> {
    let mut results: Vec<Result<(), HandlerError>> = Vec::with_capacity(deliveries.len());
    let mut records = Vec::with_capacity(deliveries.len());
    for delivery in deliveries {
        match delivery.event.data_as::<Transition>() {
            Ok(transition) => {
                records.push(transition_record(&delivery.event.id, &transition));
                results.push(Ok(()));
            }
            Err(error) => results.push(Err(HandlerError::permanent(format!(
                "not an alert transition: {error}"
            )))),
        }
    }
    let Err(error) = store.alert_events().record_transitions(&records).await else {
        return results;
    };
    if error.is_unavailable() {
        let message = error.to_string();
        return results
            .into_iter()
            .map(|result| result.and_then(|()| Err(HandlerError::retryable(message.clone()))))
            .collect();
    }
    // Something in the batch was refused: record one by one, so only that entry fails.
    let mut records = records.iter();
    for result in results.iter_mut().filter(|result| result.is_ok()) {
        let Some(record) = records.next() else { break };
        if let Err(error) = store
            .alert_events()
            .record_transitions(std::slice::from_ref(record))
            .await
        {
            *result = Err(if error.is_unavailable() {
                HandlerError::retryable(error)
            } else {
                HandlerError::permanent(error)
            });
        }
    }
    results
}

/// Runs the recorder until `shutdown`. A store outage makes entries wait (retryable); a
/// payload that is not a transition goes to the dead letters.
pub async fn run_recorder(
    bus: EventBus,
    store: Store,
    consumer: &str,
    shutdown: CancellationToken,
) -> Result<(), BusError> {
    let handler = move |deliveries: Vec<Delivery>| {
        let store = store.clone();
        async move { record_deliveries(&store, &deliveries).await }
    };
    bus.subscribe_batch(ALERTS_STREAM, RECORDER_GROUP, consumer, handler, shutdown)
        .await
}
