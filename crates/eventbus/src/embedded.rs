//! Embedded backend: the bus's streams, consumer groups and pending entries in a SQLite file
//! of its own (default `data/bus.db`), durable across restarts, for single-node installations.
//!
//! This file is the bus's private storage: the project invariant "only `store` writes SQL" has
//! this one documented exception, because these tables are the bus's internals (the way Redis
//! keeps its streams), never shared with `store`'s schema and never read by anyone else.
//!
//! An entry's position is one integer, `milliseconds << 20 | sequence`, shown as the Redis
//! style id `<milliseconds>-<sequence>`, so ordering, ranges and replay from a time are index
//! range scans. Writes of one process go through a single connection (no lock fights inside the
//! process, batched multi-row inserts in one transaction); other processes sharing the file
//! wait on SQLite's busy timeout. WAL with `synchronous = NORMAL`: a committed entry survives a
//! crash of the process; a power loss may drop the last transactions.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{AssertSqlSafe, Row, SqliteConnection, SqlitePool};
use tokio::sync::Notify;

pub(crate) use crate::embedded_reader::EmbeddedGroupReader;
use crate::{BusConfig, BusError, EntryId, GroupInfo, StreamEntry, StreamInfo, dead_letter_stream};

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS bus_streams (
    stream_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    last_position INTEGER NOT NULL DEFAULT 0,
    length INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS bus_entries (
    stream_id INTEGER NOT NULL,
    position INTEGER NOT NULL,
    payload BLOB NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS bus_entries_by_position ON bus_entries (stream_id, position);
CREATE TABLE IF NOT EXISTS bus_groups (
    group_id INTEGER PRIMARY KEY,
    stream_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    last_delivered INTEGER NOT NULL DEFAULT 0,
    UNIQUE (stream_id, name)
);
CREATE TABLE IF NOT EXISTS bus_consumers (
    group_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    seen_ms INTEGER NOT NULL,
    PRIMARY KEY (group_id, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS bus_pending (
    group_id INTEGER NOT NULL,
    position INTEGER NOT NULL,
    consumer TEXT NOT NULL,
    delivery_count INTEGER NOT NULL,
    delivered_ms INTEGER NOT NULL,
    PRIMARY KEY (group_id, position)
) WITHOUT ROWID;
"#;

const SEQUENCE_BITS: u32 = 20;
const SEQUENCE_MASK: u64 = (1 << SEQUENCE_BITS) - 1;
const MAX_MILLISECONDS: u64 = (1 << (63 - SEQUENCE_BITS)) - 1;
/// Rows per multi-row INSERT (three bound values each, well under SQLite's limit).
const INSERT_CHUNK_ROWS: usize = 500;

pub(crate) fn position_of(id: EntryId) -> i64 {
    let milliseconds = id.milliseconds.min(MAX_MILLISECONDS);
    ((milliseconds << SEQUENCE_BITS) | id.sequence.min(SEQUENCE_MASK)) as i64
}

pub(crate) fn id_of(position: i64) -> EntryId {
    let position = position.max(0) as u64;
    EntryId::new(position >> SEQUENCE_BITS, position & SEQUENCE_MASK)
}

pub(crate) fn now_milliseconds() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// A JSON array of positions, for `position IN (SELECT value FROM json_each(?))`.
pub(crate) fn positions_json(positions: impl IntoIterator<Item = i64>) -> String {
    let positions: Vec<i64> = positions.into_iter().collect();
    serde_json::to_string(&positions).expect("integers serialise")
}

#[derive(Clone)]
pub(crate) struct EmbeddedBackend {
    pub(crate) writer: SqlitePool,
    pub(crate) reader: SqlitePool,
    /// Woken after every append, so subscribers of this process need not poll.
    pub(crate) appended: Arc<Notify>,
    pub(crate) poll_interval: Duration,
    max_len: Option<u64>,
    max_age: Option<Duration>,
}

impl EmbeddedBackend {
    pub async fn open(config: &BusConfig) -> Result<EmbeddedBackend, BusError> {
        let path = &config.embedded_path;
        if let Some(parent) = path
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
        {
            std::fs::create_dir_all(parent).map_err(|error| {
                BusError::InvalidConfig(format!("cannot create {}: {error}", parent.display()))
            })?;
        }
        let options = connect_options(path);
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(60))
            .connect_with(options.clone())
            .await?;
        sqlx::raw_sql(SCHEMA).execute(&writer).await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(2)
            .connect_with(options)
            .await?;
        Ok(EmbeddedBackend {
            writer,
            reader,
            appended: Arc::new(Notify::new()),
            poll_interval: Duration::from_millis(config.embedded_poll_ms.max(1)),
            max_len: config.max_len(),
            max_age: config.max_age(),
        })
    }

    pub async fn ping(&self) -> Result<(), BusError> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    pub async fn append(
        &self,
        stream: &str,
        payloads: &[Vec<u8>],
    ) -> Result<Vec<EntryId>, BusError> {
        let mut transaction = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let ids = self.append_in(&mut transaction, stream, payloads).await?;
        transaction.commit().await?;
        self.appended.notify_waiters();
        Ok(ids)
    }

    async fn append_in(
        &self,
        connection: &mut SqliteConnection,
        stream: &str,
        payloads: &[Vec<u8>],
    ) -> Result<Vec<EntryId>, BusError> {
        let row = sqlx::query(
            "INSERT INTO bus_streams (name) VALUES (?1) \
             ON CONFLICT (name) DO UPDATE SET name = excluded.name \
             RETURNING stream_id, last_position",
        )
        .bind(stream)
        .fetch_one(&mut *connection)
        .await?;
        let stream_id: i64 = row.get(0);
        let last_position: i64 = row.get(1);
        let first_position = (now_milliseconds() << SEQUENCE_BITS).max(last_position + 1);
        for (chunk_index, chunk) in payloads.chunks(INSERT_CHUNK_ROWS).enumerate() {
            let mut sql =
                String::from("INSERT INTO bus_entries (stream_id, position, payload) VALUES ");
            sql.push_str(&vec!["(?, ?, ?)"; chunk.len()].join(", "));
            let mut query = sqlx::query(AssertSqlSafe(sql));
            for (offset, payload) in chunk.iter().enumerate() {
                let position = first_position + (chunk_index * INSERT_CHUNK_ROWS + offset) as i64;
                query = query
                    .bind(stream_id)
                    .bind(position)
                    .bind(payload.as_slice());
            }
            query.execute(&mut *connection).await?;
        }
        let count = payloads.len() as i64;
        let new_last_position = first_position + count - 1;
        let length: i64 = sqlx::query_scalar(
            "UPDATE bus_streams SET last_position = ?1, length = length + ?2 \
             WHERE stream_id = ?3 RETURNING length",
        )
        .bind(new_last_position.max(last_position))
        .bind(count)
        .bind(stream_id)
        .fetch_one(&mut *connection)
        .await?;
        if let Some(max_len) = self.max_len {
            // Approximate, like Redis's `MAXLEN ~`: trim once a tenth over, then exactly.
            let slack = (max_len / 10).max(1);
            if length as u64 > max_len + slack {
                remove_oldest(connection, stream_id, length as u64 - max_len).await?;
            }
        }
        if let Some(min_id) = self.oldest_id_to_keep() {
            remove_before(connection, stream_id, position_of(min_id)).await?;
        }
        Ok((0..count)
            .map(|offset| id_of(first_position + offset))
            .collect())
    }

    fn oldest_id_to_keep(&self) -> Option<EntryId> {
        let max_age = chrono::Duration::from_std(self.max_age?).ok()?;
        Some(EntryId::at_time(chrono::Utc::now() - max_age))
    }

    pub async fn ack(&self, stream: &str, group: &str, ids: &[EntryId]) -> Result<u64, BusError> {
        if ids.is_empty() {
            return Ok(0);
        }
        let result = sqlx::query(
            "DELETE FROM bus_pending WHERE group_id = (SELECT g.group_id FROM bus_groups g \
             JOIN bus_streams s ON s.stream_id = g.stream_id WHERE s.name = ?1 AND g.name = ?2) \
             AND position IN (SELECT value FROM json_each(?3))",
        )
        .bind(stream)
        .bind(group)
        .bind(positions_json(ids.iter().map(|id| position_of(*id))))
        .execute(&self.writer)
        .await?;
        Ok(result.rows_affected())
    }

    pub async fn dead_letter(
        &self,
        stream: &str,
        group: &str,
        id: EntryId,
        record: Vec<u8>,
    ) -> Result<(), BusError> {
        let mut transaction = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        self.append_in(&mut transaction, &dead_letter_stream(stream), &[record])
            .await?;
        sqlx::query(
            "DELETE FROM bus_pending WHERE group_id = (SELECT g.group_id FROM bus_groups g \
             JOIN bus_streams s ON s.stream_id = g.stream_id WHERE s.name = ?1 AND g.name = ?2) \
             AND position = ?3",
        )
        .bind(stream)
        .bind(group)
        .bind(position_of(id))
        .execute(&mut *transaction)
        .await?;
        transaction.commit().await?;
        self.appended.notify_waiters();
        Ok(())
    }

    pub async fn ensure_group(&self, stream: &str, group: &str) -> Result<(), BusError> {
        let mut transaction = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query("INSERT INTO bus_streams (name) VALUES (?1) ON CONFLICT (name) DO NOTHING")
            .bind(stream)
            .execute(&mut *transaction)
            .await?;
        sqlx::query(
            "INSERT INTO bus_groups (stream_id, name) SELECT stream_id, ?2 FROM bus_streams \
             WHERE name = ?1 ON CONFLICT (stream_id, name) DO NOTHING",
        )
        .bind(stream)
        .bind(group)
        .execute(&mut *transaction)
        .await?;
        transaction.commit().await?;
        Ok(())
    }

    pub async fn info(&self, stream: &str) -> Result<StreamInfo, BusError> {
        let mut info = StreamInfo {
            stream: stream.to_string(),
            length: 0,
            first_id: None,
            last_id: None,
            groups: Vec::new(),
        };
        let Some(row) = sqlx::query(
            "SELECT stream_id, length, \
             (SELECT MIN(position) FROM bus_entries e WHERE e.stream_id = s.stream_id), \
             (SELECT MAX(position) FROM bus_entries e WHERE e.stream_id = s.stream_id) \
             FROM bus_streams s WHERE name = ?1",
        )
        .bind(stream)
        .fetch_optional(&self.reader)
        .await?
        else {
            return Ok(info);
        };
        let stream_id: i64 = row.get(0);
        info.length = row.get::<i64, _>(1) as u64;
        info.first_id = row.get::<Option<i64>, _>(2).map(id_of);
        info.last_id = row.get::<Option<i64>, _>(3).map(id_of);
        let groups = sqlx::query(
            "SELECT g.name, g.last_delivered, \
             (SELECT COUNT(*) FROM bus_consumers c WHERE c.group_id = g.group_id), \
             (SELECT COUNT(*) FROM bus_pending p WHERE p.group_id = g.group_id), \
             (SELECT COUNT(*) FROM bus_entries e \
              WHERE e.stream_id = g.stream_id AND e.position > g.last_delivered) \
             FROM bus_groups g WHERE g.stream_id = ?1 ORDER BY g.name",
        )
        .bind(stream_id)
        .fetch_all(&self.reader)
        .await?;
        for group in groups {
            info.groups.push(GroupInfo {
                name: group.get(0),
                last_delivered_id: id_of(group.get(1)),
                consumers: group.get::<i64, _>(2) as u64,
                pending: group.get::<i64, _>(3) as u64,
                lag: group.get::<i64, _>(4) as u64,
            });
        }
        Ok(info)
    }

    pub async fn streams(&self) -> Result<Vec<String>, BusError> {
        Ok(
            sqlx::query_scalar("SELECT name FROM bus_streams ORDER BY name")
                .fetch_all(&self.reader)
                .await?,
        )
    }

    pub async fn range(
        &self,
        stream: &str,
        first: EntryId,
        limit: usize,
    ) -> Result<Vec<StreamEntry>, BusError> {
        let rows = sqlx::query(
            "SELECT position, payload FROM bus_entries WHERE stream_id = \
             (SELECT stream_id FROM bus_streams WHERE name = ?1) AND position >= ?2 \
             ORDER BY position LIMIT ?3",
        )
        .bind(stream)
        .bind(position_of(first))
        .bind(limit as i64)
        .fetch_all(&self.reader)
        .await?;
        Ok(rows.iter().map(entry_of_row).collect())
    }

    pub async fn trim(
        &self,
        stream: &str,
        max_len: Option<u64>,
        min_id: Option<EntryId>,
    ) -> Result<u64, BusError> {
        let mut transaction = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let Some(row) = sqlx::query("SELECT stream_id, length FROM bus_streams WHERE name = ?1")
            .bind(stream)
            .fetch_optional(&mut *transaction)
            .await?
        else {
            return Ok(0);
        };
        let stream_id: i64 = row.get(0);
        let length = row.get::<i64, _>(1) as u64;
        let mut removed = 0;
        if let Some(max_len) = max_len.filter(|max_len| length > *max_len) {
            removed += remove_oldest(&mut transaction, stream_id, length - max_len).await?;
        }
        if let Some(min_id) = min_id {
            removed += remove_before(&mut transaction, stream_id, position_of(min_id)).await?;
        }
        transaction.commit().await?;
        Ok(removed)
    }

    pub async fn open_reader(
        &self,
        stream: &str,
        group: &str,
        consumer: &str,
    ) -> Result<EmbeddedGroupReader, BusError> {
        EmbeddedGroupReader::open(self.clone(), stream, group, consumer).await
    }
}

fn connect_options(path: &Path) -> SqliteConnectOptions {
    SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(30))
        .pragma("wal_autocheckpoint", "4000")
}

pub(crate) fn entry_of_row(row: &sqlx::sqlite::SqliteRow) -> StreamEntry {
    StreamEntry {
        id: id_of(row.get(0)),
        payload: row.get(1),
    }
}

async fn remove_oldest(
    connection: &mut SqliteConnection,
    stream_id: i64,
    count: u64,
) -> Result<u64, BusError> {
    let result = sqlx::query(
        "DELETE FROM bus_entries WHERE stream_id = ?1 AND position <= \
         (SELECT position FROM bus_entries WHERE stream_id = ?1 ORDER BY position \
          LIMIT 1 OFFSET ?2)",
    )
    .bind(stream_id)
    .bind(count as i64 - 1)
    .execute(&mut *connection)
    .await?;
    shorten(connection, stream_id, result.rows_affected()).await
}

async fn remove_before(
    connection: &mut SqliteConnection,
    stream_id: i64,
    position: i64,
) -> Result<u64, BusError> {
    let result = sqlx::query("DELETE FROM bus_entries WHERE stream_id = ?1 AND position < ?2")
        .bind(stream_id)
        .bind(position)
        .execute(&mut *connection)
        .await?;
    shorten(connection, stream_id, result.rows_affected()).await
}

async fn shorten(
    connection: &mut SqliteConnection,
    stream_id: i64,
    removed: u64,
) -> Result<u64, BusError> {
    if removed == 0 {
        return Ok(0);
    }
    sqlx::query("UPDATE bus_streams SET length = length - ?1 WHERE stream_id = ?2")
        .bind(removed as i64)
        .bind(stream_id)
        .execute(&mut *connection)
        .await?;
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_keep_the_order_of_entry_ids() {
        let id = EntryId::new(1_700_000_000_123, 42);
        assert_eq!(id_of(position_of(id)), id);
        assert!(position_of(EntryId::new(2, 0)) > position_of(EntryId::new(1, SEQUENCE_MASK)));
        assert_eq!(
            id_of(position_of(EntryId::new(5, SEQUENCE_MASK)) + 1),
            EntryId::new(6, 0)
        );
    }
}
