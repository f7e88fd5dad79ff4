-- Versions of files saved through the console's file and CSV editors (SQLite): one row per
-- version of a file, named by its configured root and its path inside that root. The
-- content is kept whole (files are small: the editor refuses large ones). Timestamps are
-- unix milliseconds.

CREATE TABLE file_snapshots (
    root TEXT NOT NULL,
    path TEXT NOT NULL,
    version INTEGER NOT NULL,
    content TEXT NOT NULL,
    hash TEXT NOT NULL,
    size INTEGER NOT NULL,
    author TEXT NOT NULL,
    message TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (root, path, version)
);
