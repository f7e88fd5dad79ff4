-- Automation, second part (SQLite): rules stored through the API, llm answers kept on the
-- alert, and the time a ticket was closed because its alert resolved. Timestamps are unix
-- milliseconds.
--
-- `automation_rules.definition` is the rule as JSON (the automation crate's `AutomationRule`);
-- rules from the config file are not stored here.
-- `alert_analyses` holds one row per llm run that answered for an alert (newest last).

CREATE TABLE automation_rules (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    definition TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL
);

CREATE TABLE alert_analyses (
    run_id TEXT PRIMARY KEY NOT NULL,
    fingerprint TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    answer TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE INDEX alert_analyses_fingerprint ON alert_analyses (fingerprint, created_at);

ALTER TABLE tickets ADD COLUMN resolved_at INTEGER;
