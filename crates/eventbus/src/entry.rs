//! What the bus hands out: entry ids, stored entries, deliveries, dead letters, stream info.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use detectviz::{Event, EventError};
use serde::{Deserialize, Serialize};

use crate::BusError;

/// Position of an entry in a stream, Redis style: `<milliseconds since epoch>-<sequence>`.
/// Both backends use it, so replay from a time works the same on both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct EntryId {
    pub milliseconds: u64,
    pub sequence: u64,
}

impl EntryId {
    pub const ZERO: EntryId = EntryId {
        milliseconds: 0,
        sequence: 0,
    };

    pub fn new(milliseconds: u64, sequence: u64) -> EntryId {
        EntryId {
            milliseconds,
            sequence,
        }
    }

    /// The first possible id at `time`.
    pub fn at_time(time: DateTime<Utc>) -> EntryId {
        EntryId::new(u64::try_from(time.timestamp_millis()).unwrap_or(0), 0)
    }

    /// When the entry was added.
    pub fn time(&self) -> Option<DateTime<Utc>> {
        DateTime::from_timestamp_millis(i64::try_from(self.milliseconds).ok()?)
    }
}

impl fmt::Display for EntryId {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}-{}", self.milliseconds, self.sequence)
    }
}

impl FromStr for EntryId {
    type Err = BusError;

    /// Accepts `<ms>-<seq>` and, like Redis, a bare `<ms>` meaning `<ms>-0`.
    fn from_str(text: &str) -> Result<EntryId, BusError> {
        let invalid = || BusError::InvalidEntryId(text.to_string());
        let (milliseconds, sequence) = text.split_once('-').unwrap_or((text, "0"));
        Ok(EntryId::new(
            milliseconds.parse().map_err(|_| invalid())?,
            sequence.parse().map_err(|_| invalid())?,
        ))
    }
}

impl Serialize for EntryId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for EntryId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<EntryId, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// One stored entry as read back by replay: its id and the bytes that were published.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamEntry {
    pub id: EntryId,
    pub payload: Vec<u8>,
}

impl StreamEntry {
    /// Parses the payload as an event envelope.
    pub fn event(&self) -> Result<Event, EventError> {
        Event::from_json(&self.payload)
    }
}

/// One entry handed to a subscriber's handler.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub stream: String,
    pub id: EntryId,
    pub event: Event,
    /// 1 on the first delivery; more when the entry was retried or claimed from another consumer.
    pub delivery_count: u32,
}

/// Where a replay starts (inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplayFrom {
    Id(EntryId),
    Time(DateTime<Utc>),
}

impl ReplayFrom {
    pub(crate) fn first_id(&self) -> EntryId {
        match self {
            ReplayFrom::Id(id) => *id,
            ReplayFrom::Time(time) => EntryId::at_time(*time),
        }
    }
}

/// An entry that no consumer could handle, kept in `<stream>:dead` with why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeadLetter {
    /// Id in the dead-letter stream (not part of the stored record).
    #[serde(skip)]
    pub dead_letter_id: EntryId,
    pub stream: String,
    /// Id of the entry in its original stream.
    pub entry_id: EntryId,
    pub group: String,
    pub consumer: String,
    pub delivery_count: u32,
    pub error: String,
    pub dead_at: DateTime<Utc>,
    /// The original payload, as text (invalid UTF-8 replaced).
    pub payload: String,
}

/// The name of the dead-letter stream of `stream`.
pub fn dead_letter_stream(stream: &str) -> String {
    format!("{stream}:dead")
}

/// State of one stream, for `/api/health`, `/metrics` and the console.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StreamInfo {
    pub stream: String,
    pub length: u64,
    pub first_id: Option<EntryId>,
    pub last_id: Option<EntryId>,
    pub groups: Vec<GroupInfo>,
}

/// State of one consumer group of a stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupInfo {
    pub name: String,
    pub consumers: u64,
    /// Entries delivered and not acked yet.
    pub pending: u64,
    /// Entries added to the stream that the group has not read yet.
    pub lag: u64,
    pub last_delivered_id: EntryId,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_ids_print_parse_and_sort_like_redis_ids() {
        let id: EntryId = "1700000000000-7".parse().unwrap();
        assert_eq!(id, EntryId::new(1_700_000_000_000, 7));
        assert_eq!(id.to_string(), "1700000000000-7");
        assert_eq!("12".parse::<EntryId>().unwrap(), EntryId::new(12, 0));
        assert!(EntryId::new(2, 0) > EntryId::new(1, 99));
        assert!("12-x".parse::<EntryId>().is_err());
        assert!("".parse::<EntryId>().is_err());
    }
}
