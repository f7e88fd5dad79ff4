//! The seam between the bus and its storage: one enum per role, one variant per backend.
//!
//! `Backend` does the stateless operations (append, ack, dead-letter, info, replay, trim);
//! `GroupReader` is one subscriber's view of a consumer group (new entries, its own pending
//! entries, claims). Everything above this file (redelivery, dead-lettering after
//! `max_deliveries`, claiming, metrics) is written once in `subscriber.rs` and `bus.rs`.

use std::time::Duration;

use crate::embedded::{EmbeddedBackend, EmbeddedGroupReader};
use crate::redis::{RedisBackend, RedisGroupReader};
use crate::{BusError, EntryId, StreamEntry, StreamInfo};

/// An entry handed to a consumer, with how often it has been delivered so far.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RawDelivery {
    pub entry: StreamEntry,
    pub delivery_count: u32,
}

#[derive(Clone)]
pub(crate) enum Backend {
    Redis(RedisBackend),
    Embedded(EmbeddedBackend),
}

impl Backend {
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Redis(_) => "redis",
            Backend::Embedded(_) => "embedded",
        }
    }

    pub async fn ping(&self) -> Result<(), BusError> {
        match self {
            Backend::Redis(backend) => backend.ping().await,
            Backend::Embedded(backend) => backend.ping().await,
        }
    }

    /// Appends payloads in order, applying retention approximately.
    pub async fn append(
        &self,
        stream: &str,
        payloads: &[Vec<u8>],
    ) -> Result<Vec<EntryId>, BusError> {
        match self {
            Backend::Redis(backend) => backend.append(stream, payloads).await,
            Backend::Embedded(backend) => backend.append(stream, payloads).await,
        }
    }

    pub async fn ack(&self, stream: &str, group: &str, ids: &[EntryId]) -> Result<u64, BusError> {
        match self {
            Backend::Redis(backend) => backend.ack(stream, group, ids).await,
            Backend::Embedded(backend) => backend.ack(stream, group, ids).await,
        }
    }

    /// Appends `record` to `<stream>:dead` and acks `id`, in one transaction.
    pub async fn dead_letter(
        &self,
        stream: &str,
        group: &str,
        id: EntryId,
        record: Vec<u8>,
    ) -> Result<(), BusError> {
        match self {
            Backend::Redis(backend) => backend.dead_letter(stream, group, id, record).await,
            Backend::Embedded(backend) => backend.dead_letter(stream, group, id, record).await,
        }
    }

    /// Creates the group (reading from the start of the retained stream) unless it exists.
    pub async fn ensure_group(&self, stream: &str, group: &str) -> Result<(), BusError> {
        match self {
            Backend::Redis(backend) => backend.ensure_group(stream, group).await,
            Backend::Embedded(backend) => backend.ensure_group(stream, group).await,
        }
    }

    pub async fn info(&self, stream: &str) -> Result<StreamInfo, BusError> {
        match self {
            Backend::Redis(backend) => backend.info(stream).await,
            Backend::Embedded(backend) => backend.info(stream).await,
        }
    }

    pub async fn streams(&self) -> Result<Vec<String>, BusError> {
        match self {
            Backend::Redis(backend) => backend.streams().await,
            Backend::Embedded(backend) => backend.streams().await,
        }
    }

    /// Entries from `first` (inclusive), oldest first.
    pub async fn range(
        &self,
        stream: &str,
        first: EntryId,
        limit: usize,
    ) -> Result<Vec<StreamEntry>, BusError> {
        match self {
            Backend::Redis(backend) => backend.range(stream, first, limit).await,
            Backend::Embedded(backend) => backend.range(stream, first, limit).await,
        }
    }

    /// Exact trim: keeps at most `max_len` entries and none older than `min_id`.
    pub async fn trim(
        &self,
        stream: &str,
        max_len: Option<u64>,
        min_id: Option<EntryId>,
    ) -> Result<u64, BusError> {
        match self {
            Backend::Redis(backend) => backend.trim(stream, max_len, min_id).await,
            Backend::Embedded(backend) => backend.trim(stream, max_len, min_id).await,
        }
    }

    pub async fn open_reader(
        &self,
        stream: &str,
        group: &str,
        consumer: &str,
    ) -> Result<GroupReader, BusError> {
        self.ensure_group(stream, group).await?;
        Ok(match self {
            Backend::Redis(backend) => {
                GroupReader::Redis(Box::new(backend.open_reader(stream, group, consumer)))
            }
            Backend::Embedded(backend) => {
                GroupReader::Embedded(backend.open_reader(stream, group, consumer).await?)
            }
        })
    }
}

pub(crate) enum GroupReader {
    Redis(Box<RedisGroupReader>),
    Embedded(EmbeddedGroupReader),
}

impl GroupReader {
    /// Entries never delivered to the group, waiting up to `block` for the first one.
    pub async fn read_new(
        &mut self,
        count: usize,
        block: Duration,
    ) -> Result<Vec<RawDelivery>, BusError> {
        match self {
            GroupReader::Redis(reader) => reader.read_new(count, block).await,
            GroupReader::Embedded(reader) => reader.read_new(count, block).await,
        }
    }

    /// Ids pending for this consumer (left over from an earlier run under the same name).
    pub async fn own_pending(&mut self, count: usize) -> Result<Vec<EntryId>, BusError> {
        match self {
            GroupReader::Redis(reader) => reader.own_pending(count).await,
            GroupReader::Embedded(reader) => reader.own_pending(count).await,
        }
    }

    /// Takes over the given pending entries if idle at least `min_idle`; counts a delivery.
    pub async fn claim(
        &mut self,
        ids: &[EntryId],
        min_idle: Duration,
    ) -> Result<Vec<RawDelivery>, BusError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        match self {
            GroupReader::Redis(reader) => reader.claim(ids, min_idle).await,
            GroupReader::Embedded(reader) => reader.claim(ids, min_idle).await,
        }
    }

    /// Takes over up to `count` entries of any consumer of the group idle at least `min_idle`.
    pub async fn claim_idle(
        &mut self,
        min_idle: Duration,
        count: usize,
    ) -> Result<Vec<RawDelivery>, BusError> {
        match self {
            GroupReader::Redis(reader) => reader.claim_idle(min_idle, count).await,
            GroupReader::Embedded(reader) => reader.claim_idle(min_idle, count).await,
        }
    }
}
