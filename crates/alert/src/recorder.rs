//! The recorder: consumes `dv:alerts` in its own group and makes each transition durable in
//! the store (history row plus current state) before the entry is acknowledged.
//!
//! Both writes are idempotent: the history is keyed by the event id (a redelivered event adds
//! nothing) and the current state ignores anything older than what it holds. An acknowledgement
//! holds notifications until the alert resolves or its level rises, so those transitions
//! clear it.

use detectviz::{AlertPhase, TransitionKind};
use eventbus::{BusError, CancellationToken, Delivery, EventBus, HandlerError};
use store::{AlertStateRecord, NewAlertEvent, Store, StoreError};

use crate::Transition;
use crate::runner::ALERTS_STREAM;

/// Consumer group of the recorder on `dv:alerts`.
pub const RECORDER_GROUP: &str = "recorder";

/// Writes one transition to the history and the current state.
pub async fn record_transition(
    store: &Store,
    event_id: &str,
    transition: &Transition,
) -> Result<(), StoreError> {
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
    store.alert_events().record(&event).await?;
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
    store.alerts().upsert_state(&state).await?;
    let ends_acknowledgement = matches!(
        transition.kind,
        TransitionKind::Resolved | TransitionKind::Escalated
    );
    if ends_acknowledgement {
        match store
            .alerts()
            .clear_acknowledgement(&transition.fingerprint)
            .await
        {
            Ok(()) | Err(StoreError::NotFound { .. }) => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

/// Runs the recorder until `shutdown`. A store outage makes entries wait (retryable); a
/// payload that is not a transition goes to the dead letters.
pub async fn run_recorder(
    bus: EventBus,
    store: Store,
    consumer: &str,
    shutdown: CancellationToken,
) -> Result<(), BusError> {
    let handler = move |delivery: Delivery| {
        let store = store.clone();
        async move {
            let transition: Transition = delivery.event.data_as().map_err(|error| {
                HandlerError::permanent(format!("not an alert transition: {error}"))
            })?;
            record_transition(&store, &delivery.event.id, &transition)
                .await
                .map_err(|error| {
                    if error.is_unavailable() {
                        HandlerError::retryable(error)
                    } else {
                        HandlerError::permanent(error)
                    }
                })
        }
    };
    bus.subscribe(ALERTS_STREAM, RECORDER_GROUP, consumer, handler, shutdown)
        .await
}
