-- First aggregates: users, audit_log, settings (MySQL/MariaDB).
-- Timestamps are unix milliseconds (BIGINT); booleans are 0/1 BIGINT (the sqlx `Any` driver
-- decodes BIGINT everywhere). Binary collation keeps comparisons case-sensitive like SQLite.

CREATE TABLE users (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    username VARCHAR(190) NOT NULL,
    display_name VARCHAR(255) NOT NULL,
    password_hash VARCHAR(512) NOT NULL,
    role VARCHAR(32) NOT NULL,
    active BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE KEY users_username (username)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE audit_log (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor VARCHAR(190) NOT NULL,
    action VARCHAR(190) NOT NULL,
    target VARCHAR(512) NOT NULL,
    source_ip VARCHAR(64) NULL,
    result VARCHAR(64) NOT NULL,
    detail LONGTEXT NOT NULL,
    KEY audit_log_at (at),
    KEY audit_log_actor_at (actor, at),
    KEY audit_log_action_at (action, at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE settings (
    setting_key VARCHAR(190) NOT NULL PRIMARY KEY,
    value LONGTEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by VARCHAR(190) NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
