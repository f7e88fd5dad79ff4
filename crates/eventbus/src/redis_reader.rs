//! One subscriber's reads from a Redis consumer group.
//!
//! `XREADGROUP BLOCK` runs on a connection of its own without a response timeout; when that
//! connection fails it is dropped and the next read opens a new one (the subscriber loop backs
//! off between attempts). If the group vanished (Redis lost its data) it is created again.

use std::collections::HashMap;
use std::time::Duration;

use redis::Value;
use redis::aio::MultiplexedConnection;

use crate::backend::RawDelivery;
use crate::redis::RedisBackend;
use crate::redis_reply::{parse_autoclaim, parse_entries, parse_pending, parse_read_group};
use crate::{BusError, EntryId, StreamEntry};

pub(crate) struct RedisGroupReader {
    backend: RedisBackend,
    blocking_connection: Option<MultiplexedConnection>,
    stream: String,
    group: String,
    consumer: String,
    /// Where the next XAUTOCLAIM scan of the pending list starts.
    claim_cursor: String,
}

impl RedisGroupReader {
    pub fn new(backend: RedisBackend, stream: &str, group: &str, consumer: &str) -> Self {
        RedisGroupReader {
            backend,
            blocking_connection: None,
            stream: stream.to_string(),
            group: group.to_string(),
            consumer: consumer.to_string(),
            claim_cursor: "0-0".to_string(),
        }
    }

    pub async fn read_new(
        &mut self,
        count: usize,
        block: Duration,
    ) -> Result<Vec<RawDelivery>, BusError> {
        let mut connection = match self.blocking_connection.take() {
            Some(connection) => connection,
            None => self.backend.open_blocking_connection().await?,
        };
        let reply: Result<Value, redis::RedisError> = redis::cmd("XREADGROUP")
            .arg("GROUP")
            .arg(&self.group)
            .arg(&self.consumer)
            .arg("COUNT")
            .arg(count)
            .arg("BLOCK")
            .arg(block.as_millis().max(1) as u64)
            .arg("STREAMS")
            .arg(&self.stream)
            .arg(">")
            .query_async(&mut connection)
            .await;
        let reply = match reply {
            Ok(reply) => reply,
            Err(error) if error.code() == Some("NOGROUP") => {
                self.blocking_connection = Some(connection);
                self.backend.ensure_group(&self.stream, &self.group).await?;
                return Ok(Vec::new());
            }
            // The connection is dropped; the next read opens a fresh one.
            Err(error) => return Err(error.into()),
        };
        self.blocking_connection = Some(connection);
        let entries = parse_read_group(reply)?;
        Ok(entries
            .into_iter()
            .map(|entry| RawDelivery {
                entry,
                delivery_count: 1,
            })
            .collect())
    }

    pub async fn own_pending(&mut self, count: usize) -> Result<Vec<EntryId>, BusError> {
        let reply: Value = redis::cmd("XPENDING")
            .arg(&self.stream)
            .arg(&self.group)
            .arg("-")
            .arg("+")
            .arg(count)
            .arg(&self.consumer)
            .query_async(&mut self.backend.commands())
            .await?;
        Ok(parse_pending(reply)?
            .into_iter()
            .map(|(id, _, _)| id)
            .collect())
    }

    pub async fn claim(
        &mut self,
        ids: &[EntryId],
        min_idle: Duration,
    ) -> Result<Vec<RawDelivery>, BusError> {
        let mut command = redis::cmd("XCLAIM");
        command
            .arg(&self.stream)
            .arg(&self.group)
            .arg(&self.consumer)
            .arg(min_idle.as_millis() as u64);
        for id in ids {
            command.arg(id.to_string());
        }
        let reply: Value = command.query_async(&mut self.backend.commands()).await?;
        let entries = parse_entries(reply)?;
        self.with_delivery_counts(entries).await
    }

    pub async fn claim_idle(
        &mut self,
        min_idle: Duration,
        count: usize,
    ) -> Result<Vec<RawDelivery>, BusError> {
        let reply: Value = redis::cmd("XAUTOCLAIM")
            .arg(&self.stream)
            .arg(&self.group)
            .arg(&self.consumer)
            .arg(min_idle.as_millis() as u64)
            .arg(&self.claim_cursor)
            .arg("COUNT")
            .arg(count)
            .query_async(&mut self.backend.commands())
            .await?;
        let (next_cursor, entries) = parse_autoclaim(reply)?;
        self.claim_cursor = next_cursor;
        self.with_delivery_counts(entries).await
    }

    /// Claims count a delivery in Redis; XPENDING tells how many there were so far.
    async fn with_delivery_counts(
        &mut self,
        entries: Vec<StreamEntry>,
    ) -> Result<Vec<RawDelivery>, BusError> {
        let (Some(first), Some(last)) = (
            entries.iter().map(|entry| entry.id).min(),
            entries.iter().map(|entry| entry.id).max(),
        ) else {
            return Ok(Vec::new());
        };
        let reply: Value = redis::cmd("XPENDING")
            .arg(&self.stream)
            .arg(&self.group)
            .arg(first.to_string())
            .arg(last.to_string())
            .arg(entries.len() * 10 + 1_000)
            .arg(&self.consumer)
            .query_async(&mut self.backend.commands())
            .await?;
        let counts: HashMap<EntryId, u32> = parse_pending(reply)?
            .into_iter()
            .map(|(id, _, count)| (id, count))
            .collect();
        Ok(entries
            .into_iter()
            .map(|entry| RawDelivery {
                delivery_count: counts.get(&entry.id).copied().unwrap_or(1),
                entry,
            })
            .collect())
    }
}
