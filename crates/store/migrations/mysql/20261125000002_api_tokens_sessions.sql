-- API tokens and console sessions (MySQL/MariaDB).
-- Only SHA-256 hex hashes of the secrets are stored; the caller hashes. Timestamps are unix
-- milliseconds (BIGINT). A user's sessions are deleted with the user by the cascade.

CREATE TABLE api_tokens (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(190) NOT NULL,
    token_hash VARCHAR(64) NOT NULL,
    token_prefix VARCHAR(32) NOT NULL,
    scopes VARCHAR(1024) NOT NULL,
    created_by VARCHAR(190) NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT NULL,
    expires_at BIGINT NULL,
    revoked_at BIGINT NULL,
    UNIQUE KEY api_tokens_token_hash (token_hash),
    KEY api_tokens_created_at (created_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE sessions (
    session_hash VARCHAR(64) NOT NULL PRIMARY KEY,
    user_id BIGINT NOT NULL,
    csrf_token VARCHAR(128) NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    source_ip VARCHAR(64) NULL,
    user_agent VARCHAR(255) NULL,
    KEY sessions_user_id (user_id),
    KEY sessions_expires_at (expires_at),
    CONSTRAINT sessions_user_id_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
