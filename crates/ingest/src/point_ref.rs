//! A point borrowed from the request body: names, keys and strings are slices of the body
//! (copied only when they held escapes), and the tag and field vectors are reused from line to
//! line, so parsing a line allocates nothing in the steady state. Turn it into an owned
//! [`Point`] only where one must be kept (the forwarder's buffer).

use std::borrow::Cow;

use crate::point::{FieldValue, Point};

/// A field value borrowed from the body.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValueRef<'a> {
    Float(f64),
    Integer(i64),
    Unsigned(u64),
    Boolean(bool),
    String(Cow<'a, str>),
}

impl FieldValueRef<'_> {
    /// Numbers as `f64`, booleans as 0 and 1, strings as `None`.
    pub fn as_sample_value(&self) -> Option<f64> {
        match self {
            FieldValueRef::Float(value) => Some(*value),
            FieldValueRef::Integer(value) => Some(*value as f64),
            FieldValueRef::Unsigned(value) => Some(*value as f64),
            FieldValueRef::Boolean(value) => Some(if *value { 1.0 } else { 0.0 }),
            FieldValueRef::String(_) => None,
        }
    }

    pub fn to_field_value(&self) -> FieldValue {
        match self {
            FieldValueRef::Float(value) => FieldValue::Float(*value),
            FieldValueRef::Integer(value) => FieldValue::Integer(*value),
            FieldValueRef::Unsigned(value) => FieldValue::Unsigned(*value),
            FieldValueRef::Boolean(value) => FieldValue::Boolean(*value),
            FieldValueRef::String(text) => FieldValue::String(text.as_ref().to_owned()),
        }
    }
}

/// One parsed line, borrowing from the body. Tags are sorted by key and unique; fields are in
/// arrival order with unique keys (last value wins).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PointRef<'a> {
    pub measurement: Cow<'a, str>,
    pub tags: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    pub fields: Vec<(Cow<'a, str>, FieldValueRef<'a>)>,
    /// Unix time in nanoseconds.
    pub timestamp_ns: i64,
}

impl PointRef<'_> {
    /// An owned copy.
    pub fn to_point(&self) -> Point {
        Point {
            measurement: self.measurement.as_ref().to_owned(),
            tags: self
                .tags
                .iter()
                .map(|(key, value)| (key.as_ref().to_owned(), value.as_ref().to_owned()))
                .collect(),
            fields: self
                .fields
                .iter()
                .map(|(key, value)| (key.as_ref().to_owned(), value.to_field_value()))
                .collect(),
            timestamp_ns: self.timestamp_ns,
        }
    }

    /// Timestamp in milliseconds, rounded towards negative infinity.
    pub fn timestamp_ms(&self) -> i64 {
        self.timestamp_ns.div_euclid(1_000_000)
    }

    pub(crate) fn clear(&mut self) {
        self.measurement = Cow::Borrowed("");
        self.tags.clear();
        self.fields.clear();
        self.timestamp_ns = 0;
    }
}
