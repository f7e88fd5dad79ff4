-- Console preferences of each user: language and time zone (SQLite).

CREATE TABLE user_preferences (
    user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    language TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
