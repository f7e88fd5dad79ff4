//! InfluxDB line protocol parser, hand-written for speed.
//!
//! Syntax: `<measurement>[,<tag_key>=<tag_value>...] <field_key>=<field_value>[,...] [<timestamp>]`,
//! one point per `\n`-terminated line. Escapes follow InfluxDB's documentation: comma and space
//! in measurements; comma, `=` and space in tag keys, tag values and field keys; `"` and `\` in
//! string field values. A backslash before any other character is kept literally. Lines that are
//! blank or start with `#` are skipped. A batch keeps every valid line and reports the first bad
//! one (InfluxDB's partial-write semantics).

use serde::Serialize;

use crate::field_value::{LineErrorReason, parse_field_value};
use crate::point::{Point, dedupe_fields_last_wins, sort_tags_rejecting_duplicates};
use crate::precision::Precision;

/// A line that could not be parsed: its 1-based number in the batch and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line_number}: {reason}")]
pub struct LineError {
    pub line_number: usize,
    pub reason: LineErrorReason,
}

/// The result of parsing one batch: every valid point, counts, and the first bad line.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LineProtocolBatch {
    pub points: Vec<Point>,
    /// Lines parsed into points.
    pub accepted_lines: usize,
    /// Non-blank, non-comment lines that were invalid.
    pub rejected_lines: usize,
    pub first_error: Option<LineError>,
}

/// The JSON body the web layer answers with status 400 when a batch had bad lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartialWriteError {
    /// `partial write: line N: reason (accepted A, rejected R)`.
    pub error: String,
    pub line: usize,
    pub reason: String,
    pub accepted: usize,
    pub rejected: usize,
}

impl LineProtocolBatch {
    /// The 400 body naming the first bad line, or `None` when every line was valid.
    pub fn partial_write_error(&self) -> Option<PartialWriteError> {
        let first_error = self.first_error.as_ref()?;
        Some(PartialWriteError {
            error: format!(
                "partial write: {first_error} (accepted {}, rejected {})",
                self.accepted_lines, self.rejected_lines
            ),
            line: first_error.line_number,
            reason: first_error.reason.to_string(),
            accepted: self.accepted_lines,
            rejected: self.rejected_lines,
        })
    }
}

/// Parses a batch given as bytes. Lines that are not UTF-8 are rejected one by one.
pub fn parse_batch_bytes(
    body: &[u8],
    precision: Precision,
    default_timestamp_ns: i64,
) -> LineProtocolBatch {
    if let Ok(text) = std::str::from_utf8(body) {
        return parse_batch(text, precision, default_timestamp_ns);
    }
    let mut batch = LineProtocolBatch::default();
    for (line_index, raw_line) in body.split(|&byte| byte == b'\n').enumerate() {
        let line_result = std::str::from_utf8(raw_line)
            .map_err(|_| LineErrorReason::InvalidUtf8)
            .and_then(|line| parse_line(line, precision, default_timestamp_ns));
        batch.record(
            line_index + 1,
            line_result,
            is_blank_or_comment_bytes(raw_line),
        );
    }
    record_batch_metrics(&batch);
    batch
}

/// Parses a batch of line protocol. `default_timestamp_ns` is used for lines without a
/// timestamp (the time the request arrived).
pub fn parse_batch(
    body: &str,
    precision: Precision,
    default_timestamp_ns: i64,
) -> LineProtocolBatch {
    let mut batch = LineProtocolBatch {
        points: Vec::with_capacity(body.len() / 64),
        ..LineProtocolBatch::default()
    };
    for (line_index, line) in body.split('\n').enumerate() {
        let line_result = parse_line(line, precision, default_timestamp_ns);
        batch.record(line_index + 1, line_result, false);
    }
    record_batch_metrics(&batch);
    batch
}

impl LineProtocolBatch {
    fn record(
        &mut self,
        line_number: usize,
        line_result: Result<Option<Point>, LineErrorReason>,
        skip_as_blank: bool,
    ) {
        match line_result {
            Ok(Some(point)) => {
                self.accepted_lines += 1;
                self.points.push(point);
            }
            Ok(None) => {}
            Err(_) if skip_as_blank => {}
            Err(reason) => {
                self.rejected_lines += 1;
                if self.first_error.is_none() {
                    self.first_error = Some(LineError {
                        line_number,
                        reason,
                    });
                }
            }
        }
    }
}

fn record_batch_metrics(batch: &LineProtocolBatch) {
    metrics::counter!("detectviz_ingest_points_total", "format" => "line_protocol")
        .increment(batch.accepted_lines as u64);
    metrics::counter!("detectviz_ingest_rejected_lines_total", "format" => "line_protocol")
        .increment(batch.rejected_lines as u64);
}

fn is_blank_or_comment_bytes(raw_line: &[u8]) -> bool {
    let first_visible = raw_line
        .iter()
        .find(|byte| !matches!(byte, b' ' | b'\t' | b'\r'));
    matches!(first_visible, None | Some(b'#'))
}

/// Whether a line is skipped without counting: blank (only spaces, tabs, CR) or a `#` comment.
pub fn is_blank_or_comment(line: &str) -> bool {
    is_blank_or_comment_bytes(line.as_bytes())
}

/// Parses one line. `Ok(None)` for a blank or comment line.
pub fn parse_line(
    line: &str,
    precision: Precision,
    default_timestamp_ns: i64,
) -> Result<Option<Point>, LineErrorReason> {
    let line = line.trim_start_matches([' ', '\t', '\r']);
    let line = trim_trailing_whitespace(line);
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let bytes = line.as_bytes();

    let measurement_scan = scan_until(bytes, 0, |byte| byte == b',' || byte == b' ');
    if measurement_scan.end == 0 {
        return Err(LineErrorReason::MissingMeasurement);
    }
    let measurement = unescape(
        &line[..measurement_scan.end],
        measurement_scan.saw_backslash,
        b", ",
    );
    let mut position = measurement_scan.end;

    let mut tags = Vec::new();
    if bytes.get(position) == Some(&b',') {
        position = parse_tags(line, position + 1, &mut tags)?;
    }
    if let Err(duplicate_key) = sort_tags_rejecting_duplicates(&mut tags) {
        return Err(LineErrorReason::DuplicateTag(excerpt(&duplicate_key)));
    }

    position = skip_spaces(bytes, position);
    if position >= bytes.len() {
        return Err(LineErrorReason::MissingFields);
    }
    let mut fields = Vec::with_capacity(4);
    position = parse_fields(line, position, &mut fields)?;
    dedupe_fields_last_wins(&mut fields);

    position = skip_spaces(bytes, position);
    let timestamp_ns = if position >= bytes.len() {
        default_timestamp_ns
    } else {
        parse_timestamp(&line[position..], precision)?
    };

    Ok(Some(Point {
        measurement,
        tags,
        fields,
        timestamp_ns,
    }))
}

/// Parses `key=value[,key=value]...` starting after the measurement's comma; returns the
/// position of the space that ends the tag set (or the end of the line).
fn parse_tags(
    line: &str,
    mut position: usize,
    tags: &mut Vec<(String, String)>,
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
fn parse_fields(
    line: &str,
    mut position: usize,
    fields: &mut Vec<(String, crate::point::FieldValue)>,
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
pub(crate) fn unescape(raw: &str, saw_backslash: bool, escapable: &[u8]) -> String {
    if !saw_backslash {
        return raw.to_owned();
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
    String::from_utf8(unescaped)
        .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned())
}

/// At most 64 characters of a text, for error messages.
pub(crate) fn excerpt(text: &str) -> String {
    const MAX_CHARACTERS: usize = 64;
    match text.char_indices().nth(MAX_CHARACTERS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}
