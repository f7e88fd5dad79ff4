//! The parser of one line of InfluxDB line protocol into a borrowed [`PointRef`].
//!
//! Syntax: `<measurement>[,<tag_key>=<tag_value>...] <field_key>=<field_value>[,...] [<timestamp>]`.
//! Escapes follow InfluxDB's documentation: comma and space in measurements; comma, `=` and
//! space in tag keys, tag values and field keys; `"` and `\` in string field values. A
//! backslash before any other character is kept literally. Scanning is byte-wise (every
//! delimiter is ASCII, so slicing at one is always a UTF-8 boundary), and names are borrowed
//! from the line unless they held an escape.

use std::borrow::Cow;

use crate::field_value::{LineErrorReason, parse_field_value};
use crate::point::{dedupe_fields_last_wins, sort_tags_rejecting_duplicates};
use crate::point_ref::{FieldValueRef, PointRef};
use crate::precision::Precision;

/// Whether a line is skipped without counting: blank (only spaces, tabs, CR) or a `#` comment.
pub fn is_blank_or_comment(line: &[u8]) -> bool {
    let first_visible = line
        .iter()
        .find(|byte| !matches!(byte, b' ' | b'\t' | b'\r'));
    matches!(first_visible, None | Some(b'#'))
}

/// Parses one line into `point` (whose vectors are reused). `Ok(false)` for a blank or
/// comment line, `Ok(true)` when `point` now holds the line's point.
pub fn parse_line_into<'a>(
    line: &'a str,
    precision: Precision,
    default_timestamp_ns: i64,
    point: &mut PointRef<'a>,
) -> Result<bool, LineErrorReason> {
    point.clear();
    let line = line.trim_start_matches([' ', '\t', '\r']);
    let line = trim_trailing_whitespace(line);
    if line.is_empty() || line.starts_with('#') {
        return Ok(false);
    }
    let bytes = line.as_bytes();

    let measurement_scan = scan_until(bytes, 0, |byte| byte == b',' || byte == b' ');
    if measurement_scan.end == 0 {
        return Err(LineErrorReason::MissingMeasurement);
    }
    point.measurement = unescape(
        &line[..measurement_scan.end],
        measurement_scan.saw_backslash,
        b", ",
    );
    let mut position = measurement_scan.end;

    if bytes.get(position) == Some(&b',') {
        position = parse_tags(line, position + 1, &mut point.tags)?;
    }
    if let Err(duplicate_key) = sort_tags_rejecting_duplicates(&mut point.tags) {
        return Err(LineErrorReason::DuplicateTag(excerpt(&duplicate_key)));
    }

    position = skip_spaces(bytes, position);
    if position >= bytes.len() {
        return Err(LineErrorReason::MissingFields);
    }
    position = parse_fields(line, position, &mut point.fields)?;
    dedupe_fields_last_wins(&mut point.fields);

    position = skip_spaces(bytes, position);
    point.timestamp_ns = if position >= bytes.len() {
        default_timestamp_ns
    } else {
        parse_timestamp(&line[position..], precision)?
    };
    Ok(true)
}

/// Parses `key=value[,key=value]...` starting after the measurement's comma; returns the
/// position of the space that ends the tag set (or the end of the line).
fn parse_tags<'a>(
    line: &'a str,
    mut position: usize,
    tags: &mut Vec<(Cow<'a, str>, Cow<'a, str>)>,
) -> Result<usize, LineErrorReason> {
    let bytes = line.as_bytes();
    loop {
        let key_scan = scan_until(bytes, position, |byte| matches!(byte, b'=' | b',' | b' '));
        let raw_key = &line[position..key_scan.end];
        if raw_key.is_empty() {
            return Err(LineErrorReason::MissingTagKey);
        }
        let key = unescape(raw_key, key_scan.saw_backslash, b",= ");
        if bytes.get(key_scan.end) != Some(&b'=') {
            return Err(LineErrorReason::MissingTagValue(excerpt(&key)));
        }
        let value_start = key_scan.end + 1;
        let value_scan = scan_until(bytes, value_start, |byte| {
            matches!(byte, b'=' | b',' | b' ')
        });
        if bytes.get(value_scan.end) == Some(&b'=') {
            return Err(LineErrorReason::UnescapedEqualsInTagValue(excerpt(&key)));
        }
        let raw_value = &line[value_start..value_scan.end];
        if raw_value.is_empty() {
            return Err(LineErrorReason::MissingTagValue(excerpt(&key)));
        }
        let value = unescape(raw_value, value_scan.saw_backslash, b",= ");
        tags.push((key, value));
        match bytes.get(value_scan.end) {
            Some(b',') => position = value_scan.end + 1,
            Some(_) => return Ok(value_scan.end),
            None => return Err(LineErrorReason::MissingFields),
        }
    }
}

/// Parses the field set starting at `position`; returns the position after its last value.
fn parse_fields<'a>(
    line: &'a str,
    mut position: usize,
    fields: &mut Vec<(Cow<'a, str>, FieldValueRef<'a>)>,
) -> Result<usize, LineErrorReason> {
    let bytes = line.as_bytes();
    loop {
        let key_scan = scan_until(bytes, position, |byte| matches!(byte, b'=' | b',' | b' '));
        let raw_key = &line[position..key_scan.end];
        if raw_key.is_empty() {
            return Err(LineErrorReason::MissingFieldKey);
        }
        let key = unescape(raw_key, key_scan.saw_backslash, b",= ");
        if bytes.get(key_scan.end) != Some(&b'=') {
            return Err(LineErrorReason::MissingFieldValue(excerpt(&key)));
        }
        let value_start = key_scan.end + 1;
        let value_end = if bytes.get(value_start) == Some(&b'"') {
            let Some(closing_quote) = find_closing_quote(bytes, value_start + 1) else {
                return Err(LineErrorReason::UnbalancedQuotes(excerpt(&key)));
            };
            closing_quote + 1
        } else {
            scan_until(bytes, value_start, |byte| byte == b',' || byte == b' ').end
        };
        let terminator = bytes.get(value_end);
        if !matches!(terminator, Some(b',') | Some(b' ') | None) {
            return Err(LineErrorReason::InvalidFieldValue {
                field: excerpt(&key),
                value: excerpt(&line[value_start..]),
            });
        }
        let value = parse_field_value(&key, &line[value_start..value_end])?;
        fields.push((key, value));
        if terminator != Some(&b',') {
            return Ok(value_end);
        }
        position = value_end + 1;
    }
}

fn parse_timestamp(text: &str, precision: Precision) -> Result<i64, LineErrorReason> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(LineErrorReason::InvalidTimestamp(excerpt(text)));
    }
    let Ok(timestamp) = text.parse::<i64>() else {
        return Err(LineErrorReason::TimestampOutOfRange(excerpt(text)));
    };
    precision
        .to_nanoseconds(timestamp)
        .ok_or_else(|| LineErrorReason::TimestampOutOfRange(excerpt(text)))
}

struct Scan {
    end: usize,
    saw_backslash: bool,
}

/// Advances from `start` to the first byte matching `is_delimiter` that is not escaped by a
/// backslash (a backslash hides the byte after it from the delimiter test).
#[inline]
fn scan_until(bytes: &[u8], start: usize, is_delimiter: impl Fn(u8) -> bool) -> Scan {
    let mut position = start;
    let mut saw_backslash = false;
    while position < bytes.len() {
        let byte = bytes[position];
        if byte == b'\\' {
            saw_backslash = true;
            position += 2;
            continue;
        }
        if is_delimiter(byte) {
            return Scan {
                end: position,
                saw_backslash,
            };
        }
        position += 1;
    }
    Scan {
        end: bytes.len(),
        saw_backslash,
    }
}

/// The index of the `"` closing a string value that opened just before `start`.
fn find_closing_quote(bytes: &[u8], start: usize) -> Option<usize> {
    let mut position = start;
    while position < bytes.len() {
        match bytes[position] {
            b'\\' => position += 2,
            b'"' => return Some(position),
            _ => position += 1,
        }
    }
    None
}

fn skip_spaces(bytes: &[u8], mut position: usize) -> usize {
    while position < bytes.len() && bytes[position] == b' ' {
        position += 1;
    }
    position
}

fn trim_trailing_whitespace(line: &str) -> &str {
    let trimmed = line.trim_end_matches([' ', '\t', '\r']);
    if !trimmed.ends_with('\\') || trimmed.len() == line.len() {
        return trimmed;
    }
    // Keep one whitespace character that a trailing backslash escapes.
    &line[..trimmed.len() + 1]
}

/// Removes the backslash from `\c` for every `c` in `escapable`; other backslashes stay.
pub(crate) fn unescape<'a>(raw: &'a str, saw_backslash: bool, escapable: &[u8]) -> Cow<'a, str> {
    if !saw_backslash {
        return Cow::Borrowed(raw);
    }
    let bytes = raw.as_bytes();
    let mut unescaped = Vec::with_capacity(bytes.len());
    let mut position = 0;
    while position < bytes.len() {
        let byte = bytes[position];
        let next = bytes.get(position + 1).copied();
        if byte == b'\\' && next.is_some_and(|next| escapable.contains(&next)) {
            unescaped.push(next.unwrap_or_default());
            position += 2;
            continue;
        }
        unescaped.push(byte);
        position += 1;
    }
    // Only ASCII bytes were removed, so the rest is still valid UTF-8.
    Cow::Owned(
        String::from_utf8(unescaped)
            .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned()),
    )
}

/// At most 64 characters of a text, for error messages.
pub(crate) fn excerpt(text: &str) -> String {
    const MAX_CHARACTERS: usize = 64;
    match text.char_indices().nth(MAX_CHARACTERS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}
