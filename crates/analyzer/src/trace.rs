//! W3C trace context for calls to the anomaly service: taken from the event that caused the
//! call (`detectviz::Event::traceparent`), or a fresh root when there is none, and sent as the
//! `traceparent` header so the service's logs join the same trace.

use detectviz::Event;
use rand::Rng;

/// A `traceparent` value: `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceContext {
    traceparent: String,
}

impl TraceContext {
    /// The trace context the event carries, if any.
    pub fn from_event(event: &Event) -> Option<TraceContext> {
        event.traceparent.as_ref().map(|traceparent| TraceContext {
            traceparent: traceparent.clone(),
        })
    }

    /// A new sampled root trace (for work started by a timer, such as a model-rule run).
    pub fn new_root() -> TraceContext {
        let mut random = rand::rng();
        let trace_id: u128 = random.random_range(1..=u128::MAX);
        let span_id: u64 = random.random_range(1..=u64::MAX);
        TraceContext {
            traceparent: format!("00-{trace_id:032x}-{span_id:016x}-01"),
        }
    }

    /// The same trace with a new parent span id (one per outgoing call).
    pub fn child(&self) -> TraceContext {
        let mut parts: Vec<&str> = self.traceparent.split('-').collect();
        let span_id = format!("{:016x}", rand::rng().random_range(1..=u64::MAX));
        if parts.len() == 4 {
            parts[2] = &span_id;
            return TraceContext {
                traceparent: parts.join("-"),
            };
        }
        TraceContext::new_root()
    }

    pub fn trace_id(&self) -> &str {
        self.traceparent.split('-').nth(1).unwrap_or_default()
    }

    pub fn as_str(&self) -> &str {
        &self.traceparent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trace_context_of_an_event_is_kept_and_a_child_keeps_its_trace_id() {
        let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let event = Event::new("/test", "io.detectviz.test", &1)
            .unwrap()
            .with_traceparent(traceparent);
        let context = TraceContext::from_event(&event).unwrap();
        assert_eq!(context.as_str(), traceparent);
        let child = context.child();
        assert_eq!(child.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_ne!(child.as_str(), traceparent);
        let root = TraceContext::new_root();
        let event = Event::new("/test", "io.detectviz.test", &1)
            .unwrap()
            .with_traceparent(root.as_str());
        assert_eq!(event.traceparent.as_deref(), Some(root.as_str()));
    }
}
