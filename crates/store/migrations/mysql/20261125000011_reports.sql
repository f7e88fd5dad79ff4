-- Reporter: one row per generated report (daily, weekly or on demand); the files themselves
-- live in the exports directory, named by id and format (MySQL/MariaDB). Timestamps are unix ms.

CREATE TABLE reports (
    id VARCHAR(64) NOT NULL PRIMARY KEY,
    kind VARCHAR(32) NOT NULL,
    title VARCHAR(512) NOT NULL,
    language VARCHAR(16) NOT NULL,
    period_from BIGINT NOT NULL,
    period_to BIGINT NOT NULL,
    formats VARCHAR(255) NOT NULL,
    summary_backend VARCHAR(64) NOT NULL,
    created_by VARCHAR(190) NOT NULL,
    created_at BIGINT NOT NULL,
    KEY reports_created_at (created_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
