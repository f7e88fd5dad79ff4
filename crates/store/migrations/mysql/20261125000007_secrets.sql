-- Encrypted secrets (MySQL/MariaDB): one row per version of a named secret. The value is
-- sealed by the application (XChaCha20-Poly1305); the store only keeps ciphertext, nonce and
-- the id of the key that sealed it. Timestamps are unix milliseconds (BIGINT).

CREATE TABLE secrets (
    name VARCHAR(190) NOT NULL,
    version BIGINT NOT NULL,
    ciphertext TEXT NOT NULL,
    nonce VARCHAR(64) NOT NULL,
    key_id VARCHAR(64) NOT NULL,
    created_at BIGINT NOT NULL,
    created_by VARCHAR(190) NOT NULL,
    PRIMARY KEY (name, version),
    KEY secrets_key_id (key_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
