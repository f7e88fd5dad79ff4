//! Detectviz's own recent logs for the console's log viewer: a `tracing` layer that keeps the
//! newest [`CAPACITY`] events (time, level, module, message, fields) in a bounded in-memory
//! ring and announces each new one to followers (the viewer's follow mode).
//!
//! The ring sees exactly what the configured log filter lets through to stderr, and secrets
//! never reach the logs in the first place (`tests/secret_logs.rs` checks both outputs). As a
//! second guard, a field whose name says it holds a secret (password, token, secret, cookie,
//! authorization, ...) is stored as `[masked]`, and API tokens (`dvt_…`) and bearer
//! credentials are cut out of messages and values.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::{Arc, LazyLock, Mutex};

use serde::Serialize;
use tokio::sync::broadcast;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::Context;

/// Log events kept in memory.
pub const CAPACITY: usize = 10_000;
/// New events a slow follower may fall behind by before it skips some.
const FOLLOW_BUFFER: usize = 1_024;
/// Field names (lowercase substrings) whose values are never kept.
const SECRET_FIELD_NAMES: [&str; 9] = [
    "password",
    "passwd",
    "secret",
    "token",
    "authorization",
    "cookie",
    "csrf",
    "api_key",
    "private_key",
];
const MASKED: &str = "[masked]";

/// One log event.
#[derive(Debug, Clone, Serialize)]
pub struct LogEntry {
    /// Increases by one per event; followers resume after the last one they saw.
    pub sequence: u64,
    pub at_ms: i64,
    /// `error`, `warn`, `info`, `debug` or `trace`.
    pub level: &'static str,
    /// The event's target: its module path, e.g. `automation::executor`.
    pub module: String,
    pub message: String,
    /// The event's other fields, in the order they were written.
    pub fields: Vec<(String, String)>,
}

/// Which entries a viewer wants.
#[derive(Debug, Clone, Default)]
pub struct LogFilter {
    /// At least this severe (`warn` shows warnings and errors).
    pub min_level: Option<Level>,
    /// The module path starts with this (`automation`, `viot_web::routes`).
    pub module: Option<String>,
    /// Case-insensitive text in the message or a field value.
    pub text: Option<String>,
}

impl LogFilter {
    pub fn matches(&self, entry: &LogEntry) -> bool {
        if let Some(min_level) = self.min_level
            && level_of(entry.level) > min_level
        {
            return false;
        }
        if let Some(module) = &self.module
            && !entry.module.starts_with(module.as_str())
        {
            return false;
        }
        let Some(text) = &self.text else { return true };
        let text = text.to_lowercase();
        entry.message.to_lowercase().contains(&text)
            || entry
                .fields
                .iter()
                .any(|(_, value)| value.to_lowercase().contains(&text))
    }
}

/// `error` … `trace` (any case) as a level.
pub fn parse_level(name: &str) -> Option<Level> {
    name.trim().parse::<Level>().ok()
}

fn level_of(name: &str) -> Level {
    parse_level(name).unwrap_or(Level::TRACE)
}

fn level_name(level: &Level) -> &'static str {
    match *level {
        Level::ERROR => "error",
        Level::WARN => "warn",
        Level::INFO => "info",
        Level::DEBUG => "debug",
        Level::TRACE => "trace",
    }
}

struct Ring {
    entries: VecDeque<Arc<LogEntry>>,
    next_sequence: u64,
}

/// The process's log ring.
pub struct LogRing {
    ring: Mutex<Ring>,
    followers: broadcast::Sender<Arc<LogEntry>>,
}

static LOG_RING: LazyLock<LogRing> = LazyLock::new(|| LogRing {
    ring: Mutex::new(Ring {
        entries: VecDeque::with_capacity(1_024),
        next_sequence: 1,
    }),
    followers: broadcast::channel(FOLLOW_BUFFER).0,
});

/// The ring the installed [`LogRingLayer`] writes to.
pub fn log_ring() -> &'static LogRing {
    &LOG_RING
}

impl LogRing {
    fn lock(&self) -> std::sync::MutexGuard<'_, Ring> {
        self.ring
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn push(&self, mut entry: LogEntry) {
        let entry = {
            let mut ring = self.lock();
            entry.sequence = ring.next_sequence;
            ring.next_sequence += 1;
            if ring.entries.len() == CAPACITY {
                ring.entries.pop_front();
            }
            let entry = Arc::new(entry);
            ring.entries.push_back(Arc::clone(&entry));
            entry
        };
        // Nobody following is fine.
        let _ = self.followers.send(entry);
    }

    /// The newest `limit` entries that match, newest first.
    pub fn recent(&self, filter: &LogFilter, limit: usize) -> Vec<Arc<LogEntry>> {
        let ring = self.lock();
        ring.entries
            .iter()
            .rev()
            .filter(|entry| filter.matches(entry))
            .take(limit)
            .cloned()
            .collect()
    }

    /// Every entry from now on.
    pub fn follow(&self) -> broadcast::Receiver<Arc<LogEntry>> {
        self.followers.subscribe()
    }

    /// Module paths seen in the ring, for the viewer's module suggestions.
    pub fn modules(&self) -> Vec<String> {
        let ring = self.lock();
        let mut modules: Vec<String> = ring
            .entries
            .iter()
            .map(|entry| entry.module.clone())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        modules.truncate(200);
        modules
    }
}

/// The `tracing` layer that fills [`log_ring`].
pub struct LogRingLayer;

impl<S: Subscriber> Layer<S> for LogRingLayer {
    fn on_event(&self, event: &Event<'_>, _context: Context<'_, S>) {
        let mut visitor = EventFields::default();
        event.record(&mut visitor);
        let metadata = event.metadata();
        log_ring().push(LogEntry {
            sequence: 0,
            at_ms: chrono::Utc::now().timestamp_millis(),
            level: level_name(metadata.level()),
            module: metadata.target().to_string(),
            message: without_credentials(&visitor.message),
            fields: visitor.fields,
        });
    }
}

#[derive(Default)]
struct EventFields {
    message: String,
    fields: Vec<(String, String)>,
}

impl EventFields {
    fn keep(&mut self, field: &Field, value: String) {
        if field.name() == "message" {
            self.message = value;
            return;
        }
        let name = field.name().to_string();
        let lowercase = name.to_lowercase();
        let value = if SECRET_FIELD_NAMES
            .iter()
            .any(|secret| lowercase.contains(secret))
        {
            MASKED.to_string()
        } else {
            without_credentials(&value)
        };
        self.fields.push((name, value));
    }
}

impl Visit for EventFields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.keep(field, value.to_string());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let mut text = String::new();
        let _ = write!(text, "{value:?}");
        self.keep(field, text);
    }
}

/// The text with API tokens (`dvt_…`) and `Bearer …`/`Token …` credentials masked.
pub fn without_credentials(text: &str) -> String {
    if !text.contains(crate::auth::secrets::API_TOKEN_PREFIX)
        && !text.contains("Bearer ")
        && !text.contains("Token ")
    {
        return text.to_string();
    }
    let mut masked = String::with_capacity(text.len());
    let mut hide_next = false;
    for (index, word) in text.split(' ').enumerate() {
        if index > 0 {
            masked.push(' ');
        }
        if hide_next && !word.is_empty() {
            masked.push_str(MASKED);
            hide_next = false;
            continue;
        }
        if let Some(position) = word.find(crate::auth::secrets::API_TOKEN_PREFIX) {
            masked.push_str(&word[..position]);
            masked.push_str(MASKED);
            continue;
        }
        hide_next = word == "Bearer" || word == "Token";
        masked.push_str(word);
    }
    masked
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::layer::SubscriberExt;

    #[test]
    fn events_are_kept_with_fields_and_secrets_are_masked() {
        let subscriber = tracing_subscriber::registry().with(LogRingLayer);
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!(
                target: "log_ring_test::pump",
                rule = "pump-temperature",
                password = "hunter2",
                header = "Bearer abc123",
                "seen token dvt_0123456789abcdef in a message"
            );
            tracing::debug!(target: "log_ring_test::other", "a debug line");
        });
        let filter = LogFilter {
            module: Some("log_ring_test".into()),
            ..Default::default()
        };
        let entries = log_ring().recent(&filter, 10);
        assert_eq!(entries.len(), 2, "{entries:?}");
        let warning = &entries[1];
        assert_eq!(warning.level, "warn");
        assert_eq!(warning.module, "log_ring_test::pump");
        assert_eq!(warning.message, "seen token [masked] in a message");
        assert_eq!(
            warning.fields,
            vec![
                ("rule".to_string(), "pump-temperature".to_string()),
                ("password".to_string(), MASKED.to_string()),
                ("header".to_string(), "Bearer [masked]".to_string()),
            ]
        );
        let warnings_only = LogFilter {
            min_level: parse_level("warn"),
            module: Some("log_ring_test".into()),
            text: Some("PUMP-temp".into()),
        };
        let matched = log_ring().recent(&warnings_only, 10);
        assert_eq!(matched.len(), 1);
        assert_eq!(matched[0].sequence, warning.sequence);
    }
}
