-- Alerting: rules, current alert states, transition history, silences (MySQL/MariaDB).
-- Rules and silence matchers are JSON documents the alert crate (de)serializes; only the
-- columns queried on are separate. Timestamps are unix milliseconds (BIGINT); booleans are
-- 0/1 BIGINT; alert values are DOUBLE.

CREATE TABLE alert_rules (
    id VARCHAR(190) NOT NULL PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    enabled BIGINT NOT NULL DEFAULT 1,
    definition LONGTEXT NOT NULL,
    source VARCHAR(16) NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by VARCHAR(190) NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE alerts (
    fingerprint VARCHAR(64) NOT NULL PRIMARY KEY,
    rule_id VARCHAR(190) NOT NULL,
    rule_name VARCHAR(255) NOT NULL,
    severity VARCHAR(32) NOT NULL,
    state VARCHAR(32) NOT NULL,
    labels LONGTEXT NOT NULL,
    annotations LONGTEXT NOT NULL,
    value DOUBLE NULL,
    active_since BIGINT NULL,
    updated_at BIGINT NOT NULL,
    resolved_at BIGINT NULL,
    acknowledged_by VARCHAR(190) NULL,
    acknowledged_at BIGINT NULL,
    ack_comment TEXT NULL,
    ack_severity VARCHAR(32) NULL,
    KEY alerts_updated_at (updated_at),
    KEY alerts_state_updated_at (state, updated_at),
    KEY alerts_rule_id (rule_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE alert_events (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    event_id VARCHAR(190) NOT NULL,
    fingerprint VARCHAR(64) NOT NULL,
    kind VARCHAR(32) NOT NULL,
    from_state VARCHAR(32) NOT NULL,
    to_state VARCHAR(32) NOT NULL,
    severity VARCHAR(32) NOT NULL,
    previous_severity VARCHAR(32) NULL,
    value DOUBLE NULL,
    at BIGINT NOT NULL,
    payload LONGTEXT NOT NULL,
    UNIQUE KEY alert_events_event_id (event_id),
    KEY alert_events_fingerprint_at (fingerprint, at),
    KEY alert_events_at (at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE silences (
    id VARCHAR(190) NOT NULL PRIMARY KEY,
    matchers LONGTEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    created_by VARCHAR(190) NOT NULL,
    comment TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    expired_at BIGINT NULL,
    KEY silences_ends_at (ends_at),
    KEY silences_created_at (created_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
