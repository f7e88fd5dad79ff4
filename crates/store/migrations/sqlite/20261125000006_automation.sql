-- Automation: the run history (one row per run of an action, by an alert transition or by
-- hand) and the tickets the ticket action opens (SQLite). Timestamps are unix milliseconds.
--
-- `(run_key, generation)` is unique: the first run of an alert-triggered (fingerprint,
-- transition, rule, action) has generation 0 and a re-run after an interruption the next one,
-- so two executors can never both start the same run.
-- `tickets.open_fingerprint` holds the fingerprint while the ticket is not closed and NULL
-- once closed: its unique index allows at most one open ticket per alert.

CREATE TABLE automation_runs (
    run_id TEXT PRIMARY KEY NOT NULL,
    run_key TEXT NOT NULL,
    generation INTEGER NOT NULL,
    rule_id TEXT NOT NULL,
    action TEXT NOT NULL,
    trigger_kind TEXT NOT NULL,
    requested_by TEXT,
    fingerprint TEXT,
    transition_kind TEXT,
    transition_at INTEGER,
    parameters TEXT NOT NULL,
    owner TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    started_at INTEGER NOT NULL,
    ended_at INTEGER,
    exit_code INTEGER,
    stdout TEXT NOT NULL,
    stderr TEXT NOT NULL,
    error TEXT,
    provider_id TEXT,
    answer TEXT,
    UNIQUE (run_key, generation)
);

CREATE INDEX automation_runs_started_at ON automation_runs (started_at);
CREATE INDEX automation_runs_fingerprint ON automation_runs (fingerprint);
CREATE INDEX automation_runs_owner_status ON automation_runs (owner, status);

CREATE TABLE tickets (
    id TEXT PRIMARY KEY NOT NULL,
    fingerprint TEXT NOT NULL,
    open_fingerprint TEXT UNIQUE,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    severity TEXT NOT NULL,
    status TEXT NOT NULL,
    assignee TEXT NOT NULL,
    alert_link TEXT NOT NULL,
    run_id TEXT,
    external_id TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    closed_at INTEGER
);

CREATE INDEX tickets_fingerprint ON tickets (fingerprint);
CREATE INDEX tickets_status ON tickets (status);
