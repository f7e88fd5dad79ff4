-- Autodeploy scanning: devices found by scans (inventory as a JSON document, a fingerprint
-- for change detection, missed-scan count for gone detection) and the scans themselves
-- (MySQL/MariaDB). Timestamps are unix milliseconds (BIGINT).

CREATE TABLE devices (
    id VARCHAR(190) NOT NULL PRIMARY KEY,
    protocol VARCHAR(32) NOT NULL,
    address VARCHAR(190) NOT NULL,
    port BIGINT NOT NULL,
    name VARCHAR(1024) NOT NULL,
    sys_object_id VARCHAR(1024) NOT NULL,
    inventory LONGTEXT NOT NULL,
    fingerprint LONGTEXT NOT NULL,
    status VARCHAR(32) NOT NULL,
    missed_scans BIGINT NOT NULL DEFAULT 0,
    last_scan_id VARCHAR(190) NOT NULL,
    first_seen_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    KEY devices_address (address)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE scans (
    id VARCHAR(190) NOT NULL PRIMARY KEY,
    requested_by VARCHAR(190) NOT NULL,
    targets LONGTEXT NOT NULL,
    status VARCHAR(32) NOT NULL,
    hosts_total BIGINT NOT NULL DEFAULT 0,
    hosts_answered BIGINT NOT NULL DEFAULT 0,
    new_devices BIGINT NOT NULL DEFAULT 0,
    changed_devices BIGINT NOT NULL DEFAULT 0,
    gone_devices BIGINT NOT NULL DEFAULT 0,
    detail LONGTEXT NOT NULL,
    started_at BIGINT NOT NULL,
    finished_at BIGINT NULL,
    KEY scans_started_at (started_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
