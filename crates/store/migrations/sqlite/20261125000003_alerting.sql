-- Alerting: rules, current alert states, transition history, silences (SQLite).
-- Rules and silence matchers are JSON documents the alert crate (de)serializes; only the
-- columns queried on are separate. Timestamps are unix milliseconds; booleans are 0/1.

CREATE TABLE alert_rules (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1,
    definition TEXT NOT NULL,
    source TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL
);

CREATE TABLE alerts (
    fingerprint TEXT PRIMARY KEY NOT NULL,
    rule_id TEXT NOT NULL,
    rule_name TEXT NOT NULL,
    severity TEXT NOT NULL,
    state TEXT NOT NULL,
    labels TEXT NOT NULL,
    annotations TEXT NOT NULL,
    value REAL,
    active_since INTEGER,
    updated_at INTEGER NOT NULL,
    resolved_at INTEGER,
    acknowledged_by TEXT,
    acknowledged_at INTEGER,
    ack_comment TEXT,
    ack_severity TEXT
);

CREATE INDEX alerts_updated_at ON alerts (updated_at);
CREATE INDEX alerts_state_updated_at ON alerts (state, updated_at);
CREATE INDEX alerts_rule_id ON alerts (rule_id);

CREATE TABLE alert_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    fingerprint TEXT NOT NULL,
    kind TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    severity TEXT NOT NULL,
    previous_severity TEXT,
    value REAL,
    at INTEGER NOT NULL,
    payload TEXT NOT NULL
);

CREATE INDEX alert_events_fingerprint_at ON alert_events (fingerprint, at);
CREATE INDEX alert_events_at ON alert_events (at);

CREATE TABLE silences (
    id TEXT PRIMARY KEY NOT NULL,
    matchers TEXT NOT NULL,
    starts_at INTEGER NOT NULL,
    ends_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    comment TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    expired_at INTEGER
);

CREATE INDEX silences_ends_at ON silences (ends_at);
CREATE INDEX silences_created_at ON silences (created_at);
