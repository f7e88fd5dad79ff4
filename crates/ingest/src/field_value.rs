//! Field values of line protocol: `"string"`, `42i`, `42u`, floats (`1`, `-1.5`, `1e3`) and
//! booleans, plus the reasons a line is rejected.

use std::borrow::Cow;

use crate::line_parser::excerpt;
use crate::point_ref::FieldValueRef;

/// Why one line of line protocol was rejected. Texts quoted in reasons are cut to 64 characters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineErrorReason {
    #[error("line is not valid utf-8")]
    InvalidUtf8,
    #[error("missing measurement")]
    MissingMeasurement,
    #[error("missing tag key")]
    MissingTagKey,
    #[error("missing tag value for tag key {0:?}")]
    MissingTagValue(String),
    #[error("unescaped '=' in the value of tag {0:?} (write it as \\=)")]
    UnescapedEqualsInTagValue(String),
    #[error("duplicate tag key {0:?}")]
    DuplicateTag(String),
    #[error("missing fields (a point needs at least one field)")]
    MissingFields,
    #[error("missing field key")]
    MissingFieldKey,
    #[error("missing value for field {0:?}")]
    MissingFieldValue(String),
    #[error("unbalanced quotes in the string value of field {0:?}")]
    UnbalancedQuotes(String),
    #[error("invalid value {value:?} for field {field:?}")]
    InvalidFieldValue { field: String, value: String },
    #[error("NaN and Inf are not valid field values (field {0:?})")]
    NonFiniteFloat(String),
    #[error("float value of field {0:?} is out of range")]
    FloatOutOfRange(String),
    #[error("integer value of field {0:?} is out of range for a signed 64-bit integer")]
    IntegerOutOfRange(String),
    #[error("unsigned value of field {0:?} is out of range for an unsigned 64-bit integer")]
    UnsignedOutOfRange(String),
    #[error("invalid timestamp {0:?} (expected an integer)")]
    InvalidTimestamp(String),
    #[error("timestamp {0:?} is out of range (must fit in signed 64-bit nanoseconds)")]
    TimestampOutOfRange(String),
}

/// Parses the text of one field value (everything after `key=` up to the unescaped comma or
/// space that ends it).
pub(crate) fn parse_field_value<'a>(
    field_key: &str,
    raw: &'a str,
) -> Result<FieldValueRef<'a>, LineErrorReason> {
    let bytes = raw.as_bytes();
    let Some(&first) = bytes.first() else {
        return Err(LineErrorReason::MissingFieldValue(excerpt(field_key)));
    };
    if first == b'"' {
        return Ok(FieldValueRef::String(unescape_string_value(
            &raw[1..raw.len() - 1],
        )));
    }
    if let Some(boolean) = parse_boolean(raw) {
        return Ok(FieldValueRef::Boolean(boolean));
    }
    let last = bytes[bytes.len() - 1];
    if last == b'i' {
        return parse_integer(field_key, raw);
    }
    if last == b'u' {
        return parse_unsigned(field_key, raw);
    }
    parse_float(field_key, raw)
}

fn parse_boolean(raw: &str) -> Option<bool> {
    match raw {
        "t" | "T" | "true" | "True" | "TRUE" => Some(true),
        "f" | "F" | "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

fn parse_integer(field_key: &str, raw: &str) -> Result<FieldValueRef<'static>, LineErrorReason> {
    let number = &raw[..raw.len() - 1];
    let digits = number.strip_prefix('-').unwrap_or(number);
    if !is_all_digits(digits) {
        return Err(invalid_value(field_key, raw));
    }
    number
        .parse::<i64>()
        .map(FieldValueRef::Integer)
        .map_err(|_| LineErrorReason::IntegerOutOfRange(excerpt(field_key)))
}

fn parse_unsigned(field_key: &str, raw: &str) -> Result<FieldValueRef<'static>, LineErrorReason> {
    let digits = &raw[..raw.len() - 1];
    if !is_all_digits(digits) {
        return Err(invalid_value(field_key, raw));
    }
    digits
        .parse::<u64>()
        .map(FieldValueRef::Unsigned)
        .map_err(|_| LineErrorReason::UnsignedOutOfRange(excerpt(field_key)))
}

/// Floats as InfluxDB accepts them: `-?(digits[.digits]|.digits)([eE][+-]?digits)?`.
fn parse_float(field_key: &str, raw: &str) -> Result<FieldValueRef<'static>, LineErrorReason> {
    if !is_float_syntax(raw.as_bytes()) {
        let unsigned_text = raw.trim_start_matches(['-', '+']).to_ascii_lowercase();
        if matches!(unsigned_text.as_str(), "nan" | "inf" | "infinity") {
            return Err(LineErrorReason::NonFiniteFloat(excerpt(field_key)));
        }
        return Err(invalid_value(field_key, raw));
    }
    let Ok(value) = raw.parse::<f64>() else {
        return Err(invalid_value(field_key, raw));
    };
    if !value.is_finite() {
        return Err(LineErrorReason::FloatOutOfRange(excerpt(field_key)));
    }
    Ok(FieldValueRef::Float(value))
}

fn is_float_syntax(bytes: &[u8]) -> bool {
    let mut position = usize::from(bytes.first() == Some(&b'-'));
    let integer_digits = count_digits(&bytes[position..]);
    position += integer_digits;
    let mut fraction_digits = 0;
    if bytes.get(position) == Some(&b'.') {
        position += 1;
        fraction_digits = count_digits(&bytes[position..]);
        position += fraction_digits;
    }
    if integer_digits + fraction_digits == 0 {
        return false;
    }
    if matches!(bytes.get(position), Some(b'e') | Some(b'E')) {
        position += 1;
        if matches!(bytes.get(position), Some(b'+') | Some(b'-')) {
            position += 1;
        }
        let exponent_digits = count_digits(&bytes[position..]);
        if exponent_digits == 0 {
            return false;
        }
        position += exponent_digits;
    }
    position == bytes.len()
}

fn count_digits(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .take_while(|byte| byte.is_ascii_digit())
        .count()
}

fn is_all_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit())
}

fn invalid_value(field_key: &str, raw: &str) -> LineErrorReason {
    LineErrorReason::InvalidFieldValue {
        field: excerpt(field_key),
        value: excerpt(raw),
    }
}

/// Turns `\"` into `"` and `\\` into `\`; any other backslash is kept as written.
fn unescape_string_value(inner: &str) -> Cow<'_, str> {
    if !inner.contains('\\') {
        return Cow::Borrowed(inner);
    }
    let mut unescaped = String::with_capacity(inner.len());
    let mut characters = inner.chars().peekable();
    while let Some(character) = characters.next() {
        if character == '\\' && matches!(characters.peek(), Some('"') | Some('\\')) {
            unescaped.extend(characters.next());
            continue;
        }
        unescaped.push(character);
    }
    Cow::Owned(unescaped)
}
