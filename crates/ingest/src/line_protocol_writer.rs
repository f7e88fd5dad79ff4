//! Writes points back as line protocol (nanosecond timestamps) for the InfluxDB forwarder,
//! escaping exactly what the parser unescapes, so `parse(write(point)) == point`.
//!
//! Line protocol cannot express everything a `Point` may hold: a key or tag value ending in a
//! backslash would escape the delimiter after it, and a newline cannot appear anywhere. The
//! writer drops trailing backslashes of names, keys and tag values and writes newlines as
//! `\n` text (Telegraf's serializer does the same); such points do not round-trip. Nor does a
//! name with a literal backslash right before a comma, `=` or space (InfluxDB's escaping has no
//! way to say it), nor a measurement starting with `#` (the line would read as a comment).

use std::fmt::Write as _;

use crate::point::{FieldValue, Point};

/// How unsigned fields are written. InfluxDB 1.x servers refuse the `u` suffix unless built
/// with unsigned support, so the forwarder writes them as integers clipped to `i64::MAX`
/// (what Telegraf does without `influx_uint_support`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnsignedFields {
    /// `42u`
    Native,
    /// `42i`, values above `i64::MAX` clipped to it.
    AsClippedInteger,
}

/// Appends one point as a line of line protocol, ending in `\n`.
pub fn write_point(point: &Point, output: &mut String) {
    write_point_with(point, UnsignedFields::Native, output);
}

/// Appends one point, choosing how unsigned fields are written.
pub fn write_point_with(point: &Point, unsigned_fields: UnsignedFields, output: &mut String) {
    let tags = point
        .tags
        .iter()
        .map(|(key, value)| (key.as_str(), value.as_str()));
    write_series_prefix(&point.measurement, tags, output);
    output.push(' ');
    for (index, (field_key, field_value)) in point.fields.iter().enumerate() {
        if index > 0 {
            output.push(',');
        }
        write_escaped(field_key, b",= ", output);
        output.push('=');
        match (field_value, unsigned_fields) {
            (FieldValue::Unsigned(number), UnsignedFields::AsClippedInteger) => {
                let clipped = i64::try_from(*number).unwrap_or(i64::MAX);
                write_field_value(&FieldValue::Integer(clipped), output);
            }
            _ => write_field_value(field_value, output),
        }
    }
    let _ = write!(output, " {}", point.timestamp_ns);
    output.push('\n');
}

/// Writes every point; returns the text of the whole batch.
pub fn write_points(points: &[Point]) -> String {
    write_points_with(points, UnsignedFields::Native)
}

/// Writes every point, choosing how unsigned fields are written.
pub fn write_points_with(points: &[Point], unsigned_fields: UnsignedFields) -> String {
    let mut output = String::with_capacity(points.len() * 96);
    for point in points {
        write_point_with(point, unsigned_fields, &mut output);
    }
    output
}

/// Appends `measurement[,tag=value...]` (tags must already be sorted).
pub fn write_series_prefix<'t>(
    measurement: &str,
    tags: impl IntoIterator<Item = (&'t str, &'t str)>,
    output: &mut String,
) {
    write_escaped(measurement, b", ", output);
    for (tag_key, tag_value) in tags {
        output.push(',');
        write_escaped(tag_key, b",= ", output);
        output.push('=');
        write_escaped(tag_value, b",= ", output);
    }
}

fn write_field_value(value: &FieldValue, output: &mut String) {
    match value {
        // `{:?}` is the shortest text that parses back to the same f64 (`1.0`, `1e300`).
        FieldValue::Float(number) => {
            let _ = write!(output, "{number:?}");
        }
        FieldValue::Integer(number) => {
            let _ = write!(output, "{number}i");
        }
        FieldValue::Unsigned(number) => {
            let _ = write!(output, "{number}u");
        }
        FieldValue::Boolean(true) => output.push_str("true"),
        FieldValue::Boolean(false) => output.push_str("false"),
        FieldValue::String(text) => {
            output.push('"');
            for character in text.chars() {
                match character {
                    '"' | '\\' => {
                        output.push('\\');
                        output.push(character);
                    }
                    '\n' => output.push_str("\\n"),
                    other => output.push(other),
                }
            }
            output.push('"');
        }
    }
}

fn write_escaped(text: &str, escapable: &[u8], output: &mut String) {
    let text = text.trim_end_matches('\\');
    let needs_escaping = text
        .bytes()
        .any(|byte| byte == b'\n' || escapable.contains(&byte));
    if !needs_escaping {
        output.push_str(text);
        return;
    }
    for character in text.chars() {
        if character == '\n' {
            output.push_str("\\n");
            continue;
        }
        if character.is_ascii() && escapable.contains(&(character as u8)) {
            output.push('\\');
        }
        output.push(character);
    }
}

/// Appends ` field` (escaped) to a series prefix, completing the text form of a series key.
pub(crate) fn append_series_field(field_key: &str, output: &mut String) {
    output.push(' ');
    write_escaped(field_key, b",= ", output);
}

/// The text form of a series key, `measurement[,tag=value...] field`, as the window stores it.
pub(crate) fn series_key_text(series: &detectviz::SeriesKey) -> String {
    let mut output = String::with_capacity(64);
    write_series_prefix(&series.measurement, series.tags.iter(), &mut output);
    append_series_field(&series.field, &mut output);
    output
}
