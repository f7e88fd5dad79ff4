-- Console preferences of each user: language and time zone (MySQL/MariaDB).

CREATE TABLE user_preferences (
    user_id BIGINT NOT NULL PRIMARY KEY,
    language VARCHAR(16) NOT NULL,
    time_zone VARCHAR(64) NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT user_preferences_user_id_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
