-- Notifier: contacts (groups and channels as JSON lists on each contact) and the
-- notifications outbox, which is also the delivery record (SQLite). Timestamps are unix
-- milliseconds; booleans are 0/1.

CREATE TABLE contacts (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE,
    email TEXT NOT NULL,
    phone TEXT NOT NULL,
    line_id TEXT NOT NULL,
    slack_webhook TEXT NOT NULL,
    contact_groups TEXT NOT NULL,
    channels TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key TEXT NOT NULL UNIQUE,
    group_key TEXT NOT NULL,
    receiver TEXT NOT NULL,
    channel TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    provider_message_id TEXT,
    payload TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    next_attempt_at INTEGER
);

CREATE INDEX notifications_status_next_attempt_at ON notifications (status, next_attempt_at);
CREATE INDEX notifications_group_key ON notifications (group_key);
CREATE INDEX notifications_created_at ON notifications (created_at);
