-- Versions of files saved through the console's file and CSV editors (MySQL/MariaDB): one row
-- per version of a file, named by its configured root and its path inside that root. The
-- content is kept whole (files are small: the editor refuses large ones). Timestamps are
-- unix milliseconds (BIGINT).

CREATE TABLE file_snapshots (
    root VARCHAR(64) NOT NULL,
    path VARCHAR(400) NOT NULL,
    version BIGINT NOT NULL,
    content LONGTEXT NOT NULL,
    hash VARCHAR(64) NOT NULL,
    size BIGINT NOT NULL,
    author VARCHAR(190) NOT NULL,
    message TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (root, path, version)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
