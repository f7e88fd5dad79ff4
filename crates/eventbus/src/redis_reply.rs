//! Decoding of Redis stream replies (RESP2) into the bus's types, kept apart from the commands.

use std::collections::HashMap;

use redis::Value;

use crate::redis::PAYLOAD_FIELD;
use crate::{BusError, EntryId, GroupInfo, StreamEntry};

fn unexpected(what: &str, value: &Value) -> BusError {
    BusError::UnexpectedReply(format!("expected {what}, got {value:?}"))
}

fn text(value: &Value) -> Result<String, BusError> {
    match value {
        Value::BulkString(bytes) => Ok(String::from_utf8_lossy(bytes).into_owned()),
        Value::SimpleString(text) => Ok(text.clone()),
        Value::VerbatimString { text, .. } => Ok(text.clone()),
        other => Err(unexpected("a string", other)),
    }
}

fn integer(value: &Value) -> Result<u64, BusError> {
    match value {
        Value::Int(number) => Ok(u64::try_from(*number).unwrap_or(0)),
        other => text(other)?
            .parse()
            .map_err(|_| unexpected("an integer", other)),
    }
}

pub(crate) fn parse_entry_id(value: &Value) -> Result<EntryId, BusError> {
    match value {
        Value::BulkString(bytes) => std::str::from_utf8(bytes)
            .map_err(|_| unexpected("an entry id", value))?
            .parse(),
        other => text(other)?.parse(),
    }
}

/// An entry is `[id, [field, value, ...]]`. Entries this bus wrote carry one `payload` field;
/// anything else (written by another tool) becomes a JSON object of its fields, which then
/// fails envelope parsing and is dead-lettered with a reason.
fn parse_entry(value: Value) -> Result<Option<StreamEntry>, BusError> {
    let Value::Array(mut parts) = value else {
        return Ok(None);
    };
    if parts.len() != 2 {
        return Err(BusError::UnexpectedReply(format!(
            "a stream entry has {} parts",
            parts.len()
        )));
    }
    let fields = parts.pop().unwrap_or(Value::Nil);
    let id = parse_entry_id(&parts[0])?;
    let Value::Array(fields) = fields else {
        return Ok(None);
    };
    let mut payload = None;
    let mut other_fields = serde_json::Map::new();
    let mut pairs = fields.into_iter();
    while let (Some(name), Some(value)) = (pairs.next(), pairs.next()) {
        match (name, value) {
            (Value::BulkString(name), Value::BulkString(bytes))
                if name == PAYLOAD_FIELD.as_bytes() =>
            {
                payload = Some(bytes)
            }
            (name, other) => {
                other_fields.insert(text(&name)?, serde_json::Value::String(text(&other)?));
            }
        }
    }
    let payload = match payload {
        Some(payload) => payload,
        None => serde_json::Value::Object(other_fields)
            .to_string()
            .into_bytes(),
    };
    Ok(Some(StreamEntry { id, payload }))
}

/// A list of entries, as XRANGE, XCLAIM and one stream of XREADGROUP return.
/// Entries deleted meanwhile come back as nil and are skipped.
pub(crate) fn parse_entries(value: Value) -> Result<Vec<StreamEntry>, BusError> {
    match value {
        Value::Nil => Ok(Vec::new()),
        Value::Array(items) => {
            let mut entries = Vec::with_capacity(items.len());
            for item in items {
                if let Some(entry) = parse_entry(item)? {
                    entries.push(entry);
                }
            }
            Ok(entries)
        }
        other => Err(unexpected("a list of entries", &other)),
    }
}

/// XREADGROUP with one stream: `[[stream, [entries]]]`, or nil when the block timed out.
pub(crate) fn parse_read_group(value: Value) -> Result<Vec<StreamEntry>, BusError> {
    let streams = match value {
        Value::Nil => return Ok(Vec::new()),
        Value::Array(streams) => streams,
        Value::Map(pairs) => pairs
            .into_iter()
            .map(|(name, entries)| Value::Array(vec![name, entries]))
            .collect(),
        other => return Err(unexpected("a XREADGROUP reply", &other)),
    };
    let mut entries = Vec::new();
    for stream in streams {
        let Value::Array(mut parts) = stream else {
            return Err(unexpected("a stream of XREADGROUP", &stream));
        };
        if let Some(stream_entries) = parts.pop() {
            entries.extend(parse_entries(stream_entries)?);
        }
    }
    Ok(entries)
}

/// XAUTOCLAIM: `[next cursor, [entries], [deleted ids]]`.
pub(crate) fn parse_autoclaim(value: Value) -> Result<(String, Vec<StreamEntry>), BusError> {
    let Value::Array(parts) = value else {
        return Err(unexpected("a XAUTOCLAIM reply", &value));
    };
    let mut parts = parts.into_iter();
    let cursor = text(&parts.next().unwrap_or(Value::Nil))?;
    let entries = parse_entries(parts.next().unwrap_or(Value::Nil))?;
    Ok((cursor, entries))
}

/// Extended XPENDING: `[[id, consumer, idle ms, delivery count], ...]`.
pub(crate) fn parse_pending(value: Value) -> Result<Vec<(EntryId, String, u32)>, BusError> {
    let Value::Array(rows) = value else {
        return Err(unexpected("a XPENDING reply", &value));
    };
    let mut pending = Vec::with_capacity(rows.len());
    for row in rows {
        let Value::Array(columns) = &row else {
            return Err(unexpected("a XPENDING row", &row));
        };
        if columns.len() < 4 {
            return Err(unexpected("a XPENDING row of four columns", &row));
        }
        let delivery_count = u32::try_from(integer(&columns[3])?).unwrap_or(u32::MAX);
        pending.push((
            parse_entry_id(&columns[0])?,
            text(&columns[1])?,
            delivery_count,
        ));
    }
    Ok(pending)
}

/// One group of XINFO GROUPS, a flat `[name, value, ...]` list (or a map under RESP3).
pub(crate) fn parse_group_info(value: Value, stream_length: u64) -> Result<GroupInfo, BusError> {
    let pairs: Vec<(Value, Value)> = match value {
        Value::Array(items) => {
            let mut items = items.into_iter();
            let mut pairs = Vec::new();
            while let (Some(name), Some(value)) = (items.next(), items.next()) {
                pairs.push((name, value));
            }
            pairs
        }
        Value::Map(pairs) => pairs,
        other => return Err(unexpected("a XINFO GROUPS entry", &other)),
    };
    let mut fields = HashMap::new();
    for (name, value) in pairs {
        fields.insert(text(&name)?, value);
    }
    let field = |name: &str| fields.get(name).cloned().unwrap_or(Value::Nil);
    // Redis reports no lag when it cannot tell (after XDEL); the stream length bounds it.
    let lag = match field("lag") {
        Value::Nil => stream_length,
        value => integer(&value)?,
    };
    Ok(GroupInfo {
        name: text(&field("name"))?,
        consumers: integer(&field("consumers"))?,
        pending: integer(&field("pending"))?,
        lag,
        last_delivered_id: parse_entry_id(&field("last-delivered-id"))?,
    })
}
