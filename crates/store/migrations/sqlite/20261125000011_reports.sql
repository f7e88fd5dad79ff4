-- Reporter: one row per generated report (daily, weekly or on demand); the files themselves
-- live in the exports directory, named by id and format (SQLite). Timestamps are unix ms.

CREATE TABLE reports (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    language TEXT NOT NULL,
    period_from INTEGER NOT NULL,
    period_to INTEGER NOT NULL,
    formats TEXT NOT NULL,
    summary_backend TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE INDEX reports_created_at ON reports (created_at);
