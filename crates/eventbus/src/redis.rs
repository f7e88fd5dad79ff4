//! Redis Streams backend: every stream is a Redis stream, every entry has one field `payload`
//! holding the published bytes, and consumer groups, pending entries and claims are Redis's own
//! (XREADGROUP, XACK, XCLAIM, XAUTOCLAIM). Commands go through a `ConnectionManager`, which
//! reconnects by itself; each subscriber's blocking reads use a dedicated connection (see
//! `redis_reader.rs`).

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncConnectionConfig, Client, Value};

pub(crate) use crate::redis_reader::RedisGroupReader;
use crate::redis_reply::{parse_entries, parse_entry_id, parse_group_info};
use crate::{BusConfig, BusError, EntryId, StreamEntry, StreamInfo, dead_letter_stream};

/// The one field of every entry this bus writes.
pub(crate) const PAYLOAD_FIELD: &str = "payload";
/// Commands per pipeline when a batch is published.
const APPEND_PIPELINE_LENGTH: usize = 1_000;

#[derive(Clone)]
pub(crate) struct RedisBackend {
    client: Client,
    commands: ConnectionManager,
    max_len: Option<u64>,
    max_age: Option<Duration>,
}

impl RedisBackend {
    pub async fn connect(config: &BusConfig) -> Result<RedisBackend, BusError> {
        let client = Client::open(config.redis_url.as_str())?;
        let manager_config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(10)))
            .set_max_delay(Duration::from_secs(2));
        let commands = client
            .get_connection_manager_with_config(manager_config)
            .await?;
        Ok(RedisBackend {
            client,
            commands,
            max_len: config.max_len(),
            max_age: config.max_age(),
        })
    }

    /// A connection of its own for blocking reads: no response timeout, since a
    /// `XREADGROUP BLOCK` legitimately waits.
    pub(crate) async fn open_blocking_connection(
        &self,
    ) -> Result<redis::aio::MultiplexedConnection, BusError> {
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(None);
        Ok(self
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await?)
    }

    pub(crate) fn commands(&self) -> ConnectionManager {
        self.commands.clone()
    }

    pub async fn ping(&self) -> Result<(), BusError> {
        let _: String = redis::cmd("PING").query_async(&mut self.commands()).await?;
        Ok(())
    }

    pub async fn append(
        &self,
        stream: &str,
        payloads: &[Vec<u8>],
    ) -> Result<Vec<EntryId>, BusError> {
        let mut ids = Vec::with_capacity(payloads.len());
        let mut connection = self.commands();
        for chunk in payloads.chunks(APPEND_PIPELINE_LENGTH) {
            let mut pipeline = redis::pipe();
            for payload in chunk {
                let command = pipeline.cmd("XADD").arg(stream);
                if let Some(max_len) = self.max_len {
                    command.arg("MAXLEN").arg("~").arg(max_len);
                }
                command.arg("*").arg(PAYLOAD_FIELD).arg(payload.as_slice());
            }
            if let Some(min_id) = self.oldest_id_to_keep() {
                pipeline
                    .cmd("XTRIM")
                    .arg(stream)
                    .arg("MINID")
                    .arg("~")
                    .arg(min_id.to_string())
                    .ignore();
            }
            let chunk_ids: Vec<Value> = pipeline.query_async(&mut connection).await?;
            for id in &chunk_ids {
                ids.push(parse_entry_id(id)?);
            }
        }
        Ok(ids)
    }

    fn oldest_id_to_keep(&self) -> Option<EntryId> {
        let max_age = chrono::Duration::from_std(self.max_age?).ok()?;
        Some(EntryId::at_time(chrono::Utc::now() - max_age))
    }

    pub async fn ack(&self, stream: &str, group: &str, ids: &[EntryId]) -> Result<u64, BusError> {
        if ids.is_empty() {
            return Ok(0);
        }
        let mut command = redis::cmd("XACK");
        command.arg(stream).arg(group);
        for id in ids {
            command.arg(id.to_string());
        }
        Ok(command.query_async(&mut self.commands()).await?)
    }

    pub async fn dead_letter(
        &self,
        stream: &str,
        group: &str,
        id: EntryId,
        record: Vec<u8>,
    ) -> Result<(), BusError> {
        let mut pipeline = redis::pipe();
        pipeline.atomic();
        let command = pipeline.cmd("XADD").arg(dead_letter_stream(stream));
        if let Some(max_len) = self.max_len {
            command.arg("MAXLEN").arg("~").arg(max_len);
        }
        command.arg("*").arg(PAYLOAD_FIELD).arg(record).ignore();
        pipeline
            .cmd("XACK")
            .arg(stream)
            .arg(group)
            .arg(id.to_string())
            .ignore();
        let () = pipeline.query_async(&mut self.commands()).await?;
        Ok(())
    }

    pub async fn ensure_group(&self, stream: &str, group: &str) -> Result<(), BusError> {
        let created: Result<(), redis::RedisError> = redis::cmd("XGROUP")
            .arg("CREATE")
            .arg(stream)
            .arg(group)
            .arg("0")
            .arg("MKSTREAM")
            .query_async(&mut self.commands())
            .await;
        match created {
            Ok(()) => Ok(()),
            Err(error) if error.code() == Some("BUSYGROUP") => Ok(()),
            Err(error) => Err(error.into()),
        }
    }

    pub async fn info(&self, stream: &str) -> Result<StreamInfo, BusError> {
        let mut pipeline = redis::pipe();
        pipeline
            .cmd("XLEN")
            .arg(stream)
            .cmd("XRANGE")
            .arg(stream)
            .arg("-")
            .arg("+")
            .arg("COUNT")
            .arg(1)
            .cmd("XREVRANGE")
            .arg(stream)
            .arg("+")
            .arg("-")
            .arg("COUNT")
            .arg(1);
        let (length, first, last): (u64, Value, Value) =
            pipeline.query_async(&mut self.commands()).await?;
        let mut info = StreamInfo {
            stream: stream.to_string(),
            length,
            first_id: parse_entries(first)?.first().map(|entry| entry.id),
            last_id: parse_entries(last)?.first().map(|entry| entry.id),
            groups: Vec::new(),
        };
        let groups: Result<Vec<Value>, redis::RedisError> = redis::cmd("XINFO")
            .arg("GROUPS")
            .arg(stream)
            .query_async(&mut self.commands())
            .await;
        let groups = match groups {
            Ok(groups) => groups,
            Err(error) if error.to_string().contains("no such key") => return Ok(info),
            Err(error) => return Err(error.into()),
        };
        for group in groups {
            info.groups.push(parse_group_info(group, length)?);
        }
        Ok(info)
    }

    pub async fn streams(&self) -> Result<Vec<String>, BusError> {
        let mut connection = self.commands();
        let mut cursor = 0u64;
        let mut names = Vec::new();
        loop {
            let (next_cursor, batch): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("COUNT")
                .arg(1_000)
                .arg("TYPE")
                .arg("stream")
                .query_async(&mut connection)
                .await?;
            names.extend(batch);
            if next_cursor == 0 {
                break;
            }
            cursor = next_cursor;
        }
        names.sort();
        names.dedup();
        Ok(names)
    }

    pub async fn range(
        &self,
        stream: &str,
        first: EntryId,
        limit: usize,
    ) -> Result<Vec<StreamEntry>, BusError> {
        let reply: Value = redis::cmd("XRANGE")
            .arg(stream)
            .arg(first.to_string())
            .arg("+")
            .arg("COUNT")
            .arg(limit)
            .query_async(&mut self.commands())
            .await?;
        parse_entries(reply)
    }

    pub async fn trim(
        &self,
        stream: &str,
        max_len: Option<u64>,
        min_id: Option<EntryId>,
    ) -> Result<u64, BusError> {
        let mut removed = 0;
        let mut connection = self.commands();
        if let Some(max_len) = max_len {
            let count: u64 = redis::cmd("XTRIM")
                .arg(stream)
                .arg("MAXLEN")
                .arg("=")
                .arg(max_len)
                .query_async(&mut connection)
                .await?;
            removed += count;
        }
        if let Some(min_id) = min_id {
            let count: u64 = redis::cmd("XTRIM")
                .arg(stream)
                .arg("MINID")
                .arg("=")
                .arg(min_id.to_string())
                .query_async(&mut connection)
                .await?;
            removed += count;
        }
        Ok(removed)
    }

    pub fn open_reader(&self, stream: &str, group: &str, consumer: &str) -> RedisGroupReader {
        RedisGroupReader::new(self.clone(), stream, group, consumer)
    }
}
