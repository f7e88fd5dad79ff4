-- Notifier: contacts (groups and channels as JSON lists on each contact) and the
-- notifications outbox, which is also the delivery record (MySQL/MariaDB). Timestamps are
-- unix milliseconds (BIGINT); booleans are 0/1 BIGINT.

CREATE TABLE contacts (
    id VARCHAR(190) NOT NULL PRIMARY KEY,
    name VARCHAR(190) NOT NULL,
    email VARCHAR(320) NOT NULL,
    phone VARCHAR(64) NOT NULL,
    line_id VARCHAR(190) NOT NULL,
    slack_webhook TEXT NOT NULL,
    contact_groups LONGTEXT NOT NULL,
    channels LONGTEXT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE KEY contacts_name (name)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE notifications (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    idempotency_key VARCHAR(190) NOT NULL,
    group_key VARCHAR(1024) NOT NULL,
    receiver VARCHAR(190) NOT NULL,
    channel VARCHAR(190) NOT NULL,
    status VARCHAR(16) NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    last_error TEXT NULL,
    provider_message_id VARCHAR(255) NULL,
    payload LONGTEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    next_attempt_at BIGINT NULL,
    UNIQUE KEY notifications_idempotency_key (idempotency_key),
    KEY notifications_status_next_attempt_at (status, next_attempt_at),
    KEY notifications_group_key (group_key(190)),
    KEY notifications_created_at (created_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
