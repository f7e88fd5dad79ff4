-- Automation, second part (MySQL/MariaDB): rules stored through the API, llm answers kept on
-- the alert, and the time a ticket was closed because its alert resolved. Timestamps are unix
-- milliseconds (BIGINT).
--
-- `automation_rules.definition` is the rule as JSON (the automation crate's `AutomationRule`);
-- rules from the config file are not stored here.
-- `alert_analyses` holds one row per llm run that answered for an alert (newest last).

CREATE TABLE automation_rules (
    id VARCHAR(190) NOT NULL PRIMARY KEY,
    name VARCHAR(1024) NOT NULL,
    definition LONGTEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by VARCHAR(190) NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE alert_analyses (
    run_id VARCHAR(64) NOT NULL PRIMARY KEY,
    fingerprint VARCHAR(64) NOT NULL,
    rule_id VARCHAR(190) NOT NULL,
    answer LONGTEXT NOT NULL,
    created_at BIGINT NOT NULL,
    KEY alert_analyses_fingerprint (fingerprint, created_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

ALTER TABLE tickets ADD COLUMN resolved_at BIGINT NULL;
