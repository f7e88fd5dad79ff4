//! One subscriber's reads from an embedded consumer group: new entries move into the pending
//! table with the consumer's name, claims move pending rows to another consumer and count a
//! delivery, all inside one write transaction each.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use sqlx::{Row, SqliteConnection};

use crate::backend::RawDelivery;
use crate::embedded::{
    EmbeddedBackend, entry_of_row, id_of, now_milliseconds, position_of, positions_json,
};
use crate::{BusError, EntryId};

pub(crate) struct EmbeddedGroupReader {
    backend: EmbeddedBackend,
    stream_id: i64,
    group_id: i64,
    consumer: String,
}

impl EmbeddedGroupReader {
    pub async fn open(
        backend: EmbeddedBackend,
        stream: &str,
        group: &str,
        consumer: &str,
    ) -> Result<EmbeddedGroupReader, BusError> {
        let row = sqlx::query(
            "SELECT g.stream_id, g.group_id FROM bus_groups g \
             JOIN bus_streams s ON s.stream_id = g.stream_id WHERE s.name = ?1 AND g.name = ?2",
        )
        .bind(stream)
        .bind(group)
        .fetch_one(&backend.writer)
        .await?;
        let reader = EmbeddedGroupReader {
            stream_id: row.get(0),
            group_id: row.get(1),
            consumer: consumer.to_string(),
            backend,
        };
        sqlx::query(
            "INSERT INTO bus_consumers (group_id, name, seen_ms) VALUES (?1, ?2, ?3) \
             ON CONFLICT (group_id, name) DO UPDATE SET seen_ms = excluded.seen_ms",
        )
        .bind(reader.group_id)
        .bind(&reader.consumer)
        .bind(now_milliseconds())
        .execute(&reader.backend.writer)
        .await?;
        Ok(reader)
    }

    pub async fn read_new(
        &mut self,
        count: usize,
        block: Duration,
    ) -> Result<Vec<RawDelivery>, BusError> {
        let deadline = Instant::now() + block;
        loop {
            let appended = self.backend.appended.clone();
            let notified = appended.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let deliveries = self.try_read_new(count).await?;
            let now = Instant::now();
            if !deliveries.is_empty() || now >= deadline {
                return Ok(deliveries);
            }
            // Another process may append too: look again after the poll interval at most.
            let wait = (deadline - now).min(self.backend.poll_interval);
            let _ = tokio::time::timeout(wait, notified).await;
        }
    }

    async fn try_read_new(&mut self, count: usize) -> Result<Vec<RawDelivery>, BusError> {
        let row = sqlx::query(
            "SELECT s.last_position, g.last_delivered FROM bus_groups g \
             JOIN bus_streams s ON s.stream_id = g.stream_id WHERE g.group_id = ?1",
        )
        .bind(self.group_id)
        .fetch_one(&self.backend.reader)
        .await?;
        if row.get::<i64, _>(0) <= row.get::<i64, _>(1) {
            return Ok(Vec::new());
        }
        let mut transaction = self.backend.writer.begin_with("BEGIN IMMEDIATE").await?;
        let last_delivered: i64 =
            sqlx::query_scalar("SELECT last_delivered FROM bus_groups WHERE group_id = ?1")
                .bind(self.group_id)
                .fetch_one(&mut *transaction)
                .await?;
        let rows = sqlx::query(
            "SELECT position, payload FROM bus_entries WHERE stream_id = ?1 AND position > ?2 \
             ORDER BY position LIMIT ?3",
        )
        .bind(self.stream_id)
        .bind(last_delivered)
        .bind(count as i64)
        .fetch_all(&mut *transaction)
        .await?;
        let Some(last_row) = rows.last() else {
            transaction.commit().await?;
            return Ok(Vec::new());
        };
        let new_last_delivered: i64 = last_row.get(0);
        sqlx::query(
            "INSERT INTO bus_pending (group_id, position, consumer, delivery_count, delivered_ms) \
             SELECT ?1, position, ?2, 1, ?3 FROM bus_entries \
             WHERE stream_id = ?4 AND position > ?5 AND position <= ?6 \
             ON CONFLICT (group_id, position) DO NOTHING",
        )
        .bind(self.group_id)
        .bind(&self.consumer)
        .bind(now_milliseconds())
        .bind(self.stream_id)
        .bind(last_delivered)
        .bind(new_last_delivered)
        .execute(&mut *transaction)
        .await?;
        sqlx::query("UPDATE bus_groups SET last_delivered = ?1 WHERE group_id = ?2")
            .bind(new_last_delivered)
            .bind(self.group_id)
            .execute(&mut *transaction)
            .await?;
        transaction.commit().await?;
        Ok(rows
            .iter()
            .map(|row| RawDelivery {
                entry: entry_of_row(row),
                delivery_count: 1,
            })
            .collect())
    }

    pub async fn own_pending(&mut self, count: usize) -> Result<Vec<EntryId>, BusError> {
        let positions: Vec<i64> = sqlx::query_scalar(
            "SELECT position FROM bus_pending WHERE group_id = ?1 AND consumer = ?2 \
             ORDER BY position LIMIT ?3",
        )
        .bind(self.group_id)
        .bind(&self.consumer)
        .bind(count as i64)
        .fetch_all(&self.backend.writer)
        .await?;
        Ok(positions.into_iter().map(id_of).collect())
    }

    pub async fn claim(
        &mut self,
        ids: &[EntryId],
        min_idle: Duration,
    ) -> Result<Vec<RawDelivery>, BusError> {
        let mut transaction = self.backend.writer.begin_with("BEGIN IMMEDIATE").await?;
        let positions: Vec<i64> = ids.iter().map(|id| position_of(*id)).collect();
        let deliveries = self
            .claim_positions(&mut transaction, &positions, min_idle)
            .await?;
        transaction.commit().await?;
        Ok(deliveries)
    }

    pub async fn claim_idle(
        &mut self,
        min_idle: Duration,
        count: usize,
    ) -> Result<Vec<RawDelivery>, BusError> {
        let mut transaction = self.backend.writer.begin_with("BEGIN IMMEDIATE").await?;
        let positions: Vec<i64> = sqlx::query_scalar(
            "SELECT position FROM bus_pending WHERE group_id = ?1 AND delivered_ms <= ?2 \
             ORDER BY position LIMIT ?3",
        )
        .bind(self.group_id)
        .bind(idle_cutoff(min_idle))
        .bind(count as i64)
        .fetch_all(&mut *transaction)
        .await?;
        let deliveries = self
            .claim_positions(&mut transaction, &positions, min_idle)
            .await?;
        transaction.commit().await?;
        Ok(deliveries)
    }

    /// Moves the idle ones of `positions` to this consumer, counting a delivery, and returns
    /// them with their payloads; pending rows whose entry was trimmed away are dropped.
    async fn claim_positions(
        &self,
        connection: &mut SqliteConnection,
        positions: &[i64],
        min_idle: Duration,
    ) -> Result<Vec<RawDelivery>, BusError> {
        if positions.is_empty() {
            return Ok(Vec::new());
        }
        let claimed = sqlx::query(
            "UPDATE bus_pending SET consumer = ?1, delivery_count = delivery_count + 1, \
             delivered_ms = ?2 WHERE group_id = ?3 AND delivered_ms <= ?4 \
             AND position IN (SELECT value FROM json_each(?5)) \
             RETURNING position, delivery_count",
        )
        .bind(&self.consumer)
        .bind(now_milliseconds())
        .bind(self.group_id)
        .bind(idle_cutoff(min_idle))
        .bind(positions_json(positions.iter().copied()))
        .fetch_all(&mut *connection)
        .await?;
        let mut delivery_counts: HashMap<i64, u32> = claimed
            .iter()
            .map(|row| (row.get::<i64, _>(0), row.get::<i64, _>(1) as u32))
            .collect();
        let rows = sqlx::query(
            "SELECT position, payload FROM bus_entries WHERE stream_id = ?1 \
             AND position IN (SELECT value FROM json_each(?2)) ORDER BY position",
        )
        .bind(self.stream_id)
        .bind(positions_json(delivery_counts.keys().copied()))
        .fetch_all(&mut *connection)
        .await?;
        let mut deliveries = Vec::with_capacity(rows.len());
        for row in &rows {
            let entry = entry_of_row(row);
            let delivery_count = delivery_counts.remove(&position_of(entry.id)).unwrap_or(1);
            deliveries.push(RawDelivery {
                entry,
                delivery_count,
            });
        }
        if !delivery_counts.is_empty() {
            sqlx::query(
                "DELETE FROM bus_pending WHERE group_id = ?1 \
                 AND position IN (SELECT value FROM json_each(?2))",
            )
            .bind(self.group_id)
            .bind(positions_json(delivery_counts.keys().copied()))
            .execute(&mut *connection)
            .await?;
        }
        Ok(deliveries)
    }
}

fn idle_cutoff(min_idle: Duration) -> i64 {
    now_milliseconds() - min_idle.as_millis() as i64
}
