-- OpenID Connect sign-in (SQLite).
-- oidc_identities marks a user as signed in through a provider (issuer + subject). oidc_sessions
-- holds, per console session, what single logout and token refresh need: the last ID token
-- (id_token_hint), the refresh token sealed with the secret key (XChaCha20-Poly1305, base64),
-- and when the access token expires. Both go away with their user or session (cascade).

CREATE TABLE oidc_identities (
    user_id INTEGER PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_login_at INTEGER NOT NULL,
    UNIQUE (issuer, subject)
);

CREATE TABLE oidc_sessions (
    session_hash TEXT PRIMARY KEY NOT NULL REFERENCES sessions (session_hash) ON DELETE CASCADE,
    user_id INTEGER NOT NULL,
    id_token TEXT NOT NULL,
    refresh_token_ciphertext TEXT NOT NULL,
    refresh_token_nonce TEXT NOT NULL,
    key_id TEXT NOT NULL,
    access_expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    refreshed_at INTEGER NOT NULL
);
