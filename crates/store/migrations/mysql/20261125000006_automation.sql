-- Automation: the run history (one row per run of an action, by an alert transition or by
-- hand) and the tickets the ticket action opens (MySQL/MariaDB). Timestamps are unix
-- milliseconds (BIGINT).
--
-- `(run_key, generation)` is unique: the first run of an alert-triggered (fingerprint,
-- transition, rule, action) has generation 0 and a re-run after an interruption the next one,
-- so two executors can never both start the same run.
-- `tickets.open_fingerprint` holds the fingerprint while the ticket is not closed and NULL
-- once closed: its unique index allows at most one open ticket per alert.

CREATE TABLE automation_runs (
    run_id VARCHAR(64) NOT NULL PRIMARY KEY,
    run_key VARCHAR(600) NOT NULL,
    generation BIGINT NOT NULL,
    rule_id VARCHAR(190) NOT NULL,
    action VARCHAR(190) NOT NULL,
    trigger_kind VARCHAR(16) NOT NULL,
    requested_by VARCHAR(190) NULL,
    fingerprint VARCHAR(64) NULL,
    transition_kind VARCHAR(16) NULL,
    transition_at BIGINT NULL,
    parameters LONGTEXT NOT NULL,
    owner VARCHAR(190) NOT NULL,
    status VARCHAR(32) NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    started_at BIGINT NOT NULL,
    ended_at BIGINT NULL,
    exit_code BIGINT NULL,
    stdout LONGTEXT NOT NULL,
    stderr LONGTEXT NOT NULL,
    error TEXT NULL,
    provider_id VARCHAR(255) NULL,
    answer LONGTEXT NULL,
    UNIQUE KEY automation_runs_run_key_generation (run_key, generation),
    KEY automation_runs_started_at (started_at),
    KEY automation_runs_fingerprint (fingerprint),
    KEY automation_runs_owner_status (owner, status)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE tickets (
    id VARCHAR(64) NOT NULL PRIMARY KEY,
    fingerprint VARCHAR(64) NOT NULL,
    open_fingerprint VARCHAR(64) NULL,
    title VARCHAR(1024) NOT NULL,
    description TEXT NOT NULL,
    severity VARCHAR(16) NOT NULL,
    status VARCHAR(16) NOT NULL,
    assignee VARCHAR(190) NOT NULL,
    alert_link VARCHAR(2048) NOT NULL,
    run_id VARCHAR(64) NULL,
    external_id VARCHAR(255) NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    closed_at BIGINT NULL,
    UNIQUE KEY tickets_open_fingerprint (open_fingerprint),
    KEY tickets_fingerprint (fingerprint),
    KEY tickets_status (status)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
