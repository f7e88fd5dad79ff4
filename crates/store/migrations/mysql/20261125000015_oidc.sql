-- OpenID Connect sign-in (MySQL/MariaDB).
-- oidc_identities marks a user as signed in through a provider (issuer + subject). oidc_sessions
-- holds, per console session, what single logout and token refresh need: the last ID token
-- (id_token_hint), the refresh token sealed with the secret key (XChaCha20-Poly1305, base64),
-- and when the access token expires. Both go away with their user or session (cascade).

CREATE TABLE oidc_identities (
    user_id BIGINT NOT NULL PRIMARY KEY,
    issuer VARCHAR(255) NOT NULL,
    subject VARCHAR(255) NOT NULL,
    created_at BIGINT NOT NULL,
    last_login_at BIGINT NOT NULL,
    UNIQUE KEY oidc_identities_issuer_subject (issuer, subject),
    CONSTRAINT oidc_identities_user_id_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE oidc_sessions (
    session_hash VARCHAR(64) NOT NULL PRIMARY KEY,
    user_id BIGINT NOT NULL,
    id_token LONGTEXT NOT NULL,
    refresh_token_ciphertext LONGTEXT NOT NULL,
    refresh_token_nonce VARCHAR(64) NOT NULL,
    key_id VARCHAR(64) NOT NULL,
    access_expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    refreshed_at BIGINT NOT NULL,
    CONSTRAINT oidc_sessions_session_hash_fk FOREIGN KEY (session_hash) REFERENCES sessions (session_hash) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
