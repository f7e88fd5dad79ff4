-- Autodeploy scanning: devices found by scans (inventory as a JSON document, a fingerprint
-- for change detection, missed-scan count for gone detection) and the scans themselves
-- (SQLite). Timestamps are unix milliseconds.

CREATE TABLE devices (
    id TEXT PRIMARY KEY NOT NULL,
    protocol TEXT NOT NULL,
    address TEXT NOT NULL,
    port INTEGER NOT NULL,
    name TEXT NOT NULL,
    sys_object_id TEXT NOT NULL,
    inventory TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status TEXT NOT NULL,
    missed_scans INTEGER NOT NULL DEFAULT 0,
    last_scan_id TEXT NOT NULL,
    first_seen_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE INDEX devices_address ON devices (address);

CREATE TABLE scans (
    id TEXT PRIMARY KEY NOT NULL,
    requested_by TEXT NOT NULL,
    targets TEXT NOT NULL,
    status TEXT NOT NULL,
    hosts_total INTEGER NOT NULL DEFAULT 0,
    hosts_answered INTEGER NOT NULL DEFAULT 0,
    new_devices INTEGER NOT NULL DEFAULT 0,
    changed_devices INTEGER NOT NULL DEFAULT 0,
    gone_devices INTEGER NOT NULL DEFAULT 0,
    detail TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    finished_at INTEGER
);

CREATE INDEX scans_started_at ON scans (started_at);
