-- Encrypted secrets (SQLite): one row per version of a named secret. The value is sealed by
-- the application (XChaCha20-Poly1305); the store only keeps ciphertext, nonce and the id of
-- the key that sealed it. Timestamps are unix milliseconds.

CREATE TABLE secrets (
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    ciphertext TEXT NOT NULL,
    nonce TEXT NOT NULL,
    key_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (name, version)
);

CREATE INDEX secrets_key_id ON secrets (key_id);
