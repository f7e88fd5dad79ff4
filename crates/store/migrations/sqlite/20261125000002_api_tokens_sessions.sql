-- API tokens and console sessions (SQLite).
-- Only SHA-256 hex hashes of the secrets are stored; the caller hashes. Timestamps are unix
-- milliseconds. sqlx turns `PRAGMA foreign_keys = ON` on for every SQLite connection, so a
-- user's sessions are deleted with the user by the cascade.

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    token_prefix TEXT NOT NULL,
    scopes TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER,
    expires_at INTEGER,
    revoked_at INTEGER
);

CREATE INDEX api_tokens_created_at ON api_tokens (created_at);

CREATE TABLE sessions (
    session_hash TEXT PRIMARY KEY NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    source_ip TEXT,
    user_agent TEXT
);

CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);
