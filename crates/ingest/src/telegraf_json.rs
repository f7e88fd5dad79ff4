//! Telegraf's JSON serializer (`data_format = "json"`): a batch `{"metrics":[metric, ...]}`, a
//! single metric `{"name","tags","fields","timestamp"}`, or several of either one after another
//! (newline-delimited). Each metric is checked on its own: bad ones are reported by index and
//! every valid one is kept.
//!
//! JSON numbers become float fields: Telegraf writes a float with an integral value as `1`, so
//! the integer/float distinction cannot be recovered, and always choosing float keeps the type
//! of a field stable when points are forwarded to InfluxDB.

use serde_json::{Map, Value};

use crate::line_parser::excerpt;
use crate::point::{FieldValue, Point, sort_tags_rejecting_duplicates};
use crate::precision::is_timestamp_in_range;

/// The unit of `timestamp` (Telegraf's `json_timestamp_units`, truncated to a power of ten).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampUnit {
    Seconds,
    Milliseconds,
    Microseconds,
    Nanoseconds,
}

/// A `json_timestamp_units` value that names no known unit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown json timestamp unit {0:?}: use 1s, 1ms, 1us or 1ns")]
pub struct UnknownTimestampUnit(pub String);

impl TimestampUnit {
    /// Parses `s`, `ms`, `us` (or `µs`), `ns`, with or without Telegraf's leading `1`.
    pub fn from_parameter(parameter: &str) -> Result<TimestampUnit, UnknownTimestampUnit> {
        match parameter.trim().trim_start_matches('1') {
            "s" => Ok(TimestampUnit::Seconds),
            "ms" => Ok(TimestampUnit::Milliseconds),
            "us" | "µs" | "u" => Ok(TimestampUnit::Microseconds),
            "ns" | "n" => Ok(TimestampUnit::Nanoseconds),
            _ => Err(UnknownTimestampUnit(parameter.to_owned())),
        }
    }

    /// Guesses the unit of a Unix timestamp from its size: below 1e11 seconds (until year
    /// 5138), below 1e14 milliseconds, below 1e17 microseconds, else nanoseconds.
    pub fn infer_from_magnitude(timestamp: f64) -> TimestampUnit {
        let magnitude = timestamp.abs();
        if magnitude < 1e11 {
            return TimestampUnit::Seconds;
        }
        if magnitude < 1e14 {
            return TimestampUnit::Milliseconds;
        }
        if magnitude < 1e17 {
            return TimestampUnit::Microseconds;
        }
        TimestampUnit::Nanoseconds
    }

    fn nanoseconds_per_unit(self) -> i64 {
        match self {
            TimestampUnit::Seconds => 1_000_000_000,
            TimestampUnit::Milliseconds => 1_000_000,
            TimestampUnit::Microseconds => 1_000,
            TimestampUnit::Nanoseconds => 1,
        }
    }
}

/// Why a whole JSON body was refused (nothing in it could be read as metrics).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TelegrafJsonError {
    #[error("body is not valid json: {0}")]
    InvalidJson(String),
    #[error("body is neither a telegraf metric batch {{\"metrics\":[...]}} nor a metric object")]
    NotTelegrafJson,
}

/// Why one metric of a batch was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetricErrorReason {
    #[error("metric is not a json object")]
    NotAnObject,
    #[error("missing or empty \"name\" (a string is required)")]
    MissingName,
    #[error("\"tags\" is not an object")]
    TagsNotAnObject,
    #[error("tag {0:?} is not a string")]
    TagNotAString(String),
    #[error("duplicate tag key {0:?}")]
    DuplicateTag(String),
    #[error("missing \"fields\" (an object with at least one field is required)")]
    MissingFields,
    #[error("field {field:?} has a {found} value (number, string or boolean expected)")]
    InvalidFieldValue { field: String, found: &'static str },
    #[error("\"timestamp\" is a {0} (a number in json_timestamp_units expected)")]
    InvalidTimestamp(&'static str),
    #[error("\"timestamp\" {0} is out of range (must fit in signed 64-bit nanoseconds)")]
    TimestampOutOfRange(String),
    #[error("invalid json after the previous metric: {0}")]
    InvalidJson(String),
}

/// A rejected metric: its 0-based position among all metrics of the body, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("metrics[{metric_index}]: {reason}")]
pub struct MetricError {
    pub metric_index: usize,
    pub reason: MetricErrorReason,
}

/// Every valid metric as a point, counts, and the first rejected metric.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TelegrafJsonBatch {
    pub points: Vec<Point>,
    pub accepted_metrics: usize,
    pub rejected_metrics: usize,
    pub first_error: Option<MetricError>,
}

/// The JSON body the web layer answers with status 400 when some metrics were rejected.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RejectedMetricsError {
    /// `partial write: metrics[N]: reason (accepted A, rejected R)`.
    pub error: String,
    pub metric_index: usize,
    pub reason: String,
    pub accepted: usize,
    pub rejected: usize,
}

impl TelegrafJsonBatch {
    /// The 400 body naming the first rejected metric, or `None` when all were valid.
    pub fn partial_write_error(&self) -> Option<RejectedMetricsError> {
        let first_error = self.first_error.as_ref()?;
        Some(RejectedMetricsError {
            error: format!(
                "partial write: {first_error} (accepted {}, rejected {})",
                self.accepted_metrics, self.rejected_metrics
            ),
            metric_index: first_error.metric_index,
            reason: first_error.reason.to_string(),
            accepted: self.accepted_metrics,
            rejected: self.rejected_metrics,
        })
    }

    fn record(&mut self, result: Result<Point, MetricErrorReason>) {
        let metric_index = self.accepted_metrics + self.rejected_metrics;
        match result {
            Ok(point) => {
                self.accepted_metrics += 1;
                self.points.push(point);
            }
            Err(reason) => {
                self.rejected_metrics += 1;
                if self.first_error.is_none() {
                    self.first_error = Some(MetricError {
                        metric_index,
                        reason,
                    });
                }
            }
        }
    }
}

/// Parses a Telegraf JSON body. `unit` is the sender's `json_timestamp_units`; when `None` the
/// unit of each timestamp is inferred from its size. Metrics without a timestamp get
/// `default_timestamp_ns`.
pub fn parse_telegraf_json(
    body: &[u8],
    unit: Option<TimestampUnit>,
    default_timestamp_ns: i64,
) -> Result<TelegrafJsonBatch, TelegrafJsonError> {
    let mut batch = TelegrafJsonBatch::default();
    let mut documents = serde_json::Deserializer::from_slice(body).into_iter::<Value>();
    let mut document_count = 0;
    loop {
        let document = match documents.next() {
            None => break,
            Some(Ok(document)) => document,
            Some(Err(error)) if document_count == 0 => {
                return Err(TelegrafJsonError::InvalidJson(error.to_string()));
            }
            Some(Err(error)) => {
                batch.record(Err(MetricErrorReason::InvalidJson(error.to_string())));
                break;
            }
        };
        document_count += 1;
        match document {
            Value::Object(mut object) if object.contains_key("metrics") => {
                let Some(Value::Array(metrics)) = object.remove("metrics") else {
                    return Err(TelegrafJsonError::NotTelegrafJson);
                };
                for metric in metrics {
                    batch.record(parse_metric(metric, unit, default_timestamp_ns));
                }
            }
            Value::Array(metrics) => {
                for metric in metrics {
                    batch.record(parse_metric(metric, unit, default_timestamp_ns));
                }
            }
            metric @ Value::Object(_) => {
                batch.record(parse_metric(metric, unit, default_timestamp_ns))
            }
            _ => return Err(TelegrafJsonError::NotTelegrafJson),
        }
    }
    if document_count == 0 {
        return Err(TelegrafJsonError::NotTelegrafJson);
    }
    metrics::counter!("detectviz_ingest_points_total", "format" => "telegraf_json")
        .increment(batch.accepted_metrics as u64);
    metrics::counter!("detectviz_ingest_rejected_lines_total", "format" => "telegraf_json")
        .increment(batch.rejected_metrics as u64);
    Ok(batch)
}

fn parse_metric(
    metric: Value,
    unit: Option<TimestampUnit>,
    default_timestamp_ns: i64,
) -> Result<Point, MetricErrorReason> {
    let Value::Object(mut object) = metric else {
        return Err(MetricErrorReason::NotAnObject);
    };
    let measurement = match object.remove("name") {
        Some(Value::String(name)) if !name.is_empty() => name,
        _ => return Err(MetricErrorReason::MissingName),
    };
    let tags = parse_tags(object.remove("tags"))?;
    let fields = match object.remove("fields") {
        Some(Value::Object(fields)) if !fields.is_empty() => parse_fields(fields)?,
        _ => return Err(MetricErrorReason::MissingFields),
    };
    let timestamp_ns = match object.remove("timestamp") {
        None | Some(Value::Null) => default_timestamp_ns,
        Some(Value::Number(number)) => timestamp_to_nanoseconds(&number, unit)?,
        Some(other) => return Err(MetricErrorReason::InvalidTimestamp(json_type_name(&other))),
    };
    Ok(Point {
        measurement,
        tags,
        fields,
        timestamp_ns,
    })
}

fn parse_tags(tags: Option<Value>) -> Result<Vec<(String, String)>, MetricErrorReason> {
    let tag_object = match tags {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Object(tag_object)) => tag_object,
        Some(_) => return Err(MetricErrorReason::TagsNotAnObject),
    };
    let mut tags = Vec::with_capacity(tag_object.len());
    for (key, value) in tag_object {
        let Value::String(value) = value else {
            return Err(MetricErrorReason::TagNotAString(excerpt(&key)));
        };
        // Telegraf never sends empty tag keys or values; line protocol cannot carry them.
        if key.is_empty() || value.is_empty() {
            continue;
        }
        tags.push((key, value));
    }
    sort_tags_rejecting_duplicates(&mut tags)
        .map_err(|duplicate| MetricErrorReason::DuplicateTag(excerpt(&duplicate)))?;
    Ok(tags)
}

fn parse_fields(
    fields: Map<String, Value>,
) -> Result<Vec<(String, FieldValue)>, MetricErrorReason> {
    let mut parsed = Vec::with_capacity(fields.len());
    for (key, value) in fields {
        if key.is_empty() {
            return Err(invalid_field(&key, "empty-named"));
        }
        let field_value = match value {
            Value::Number(number) => match number.as_f64() {
                Some(float) if float.is_finite() => FieldValue::Float(float),
                _ => return Err(invalid_field(&key, "non-finite number")),
            },
            Value::Bool(boolean) => FieldValue::Boolean(boolean),
            Value::String(text) => FieldValue::String(text),
            other => return Err(invalid_field(&key, json_type_name(&other))),
        };
        parsed.push((key, field_value));
    }
    Ok(parsed)
}

fn invalid_field(key: &str, found: &'static str) -> MetricErrorReason {
    MetricErrorReason::InvalidFieldValue {
        field: excerpt(key),
        found,
    }
}

/// Converts a JSON timestamp (integer, or float with a fraction) to nanoseconds.
fn timestamp_to_nanoseconds(
    number: &serde_json::Number,
    unit: Option<TimestampUnit>,
) -> Result<i64, MetricErrorReason> {
    let out_of_range = || MetricErrorReason::TimestampOutOfRange(excerpt(&number.to_string()));
    let approximate = number.as_f64().ok_or_else(out_of_range)?;
    let unit = unit.unwrap_or_else(|| TimestampUnit::infer_from_magnitude(approximate));
    let nanoseconds_per_unit = i128::from(unit.nanoseconds_per_unit());
    let exact_integer = number
        .as_i64()
        .map(i128::from)
        .or_else(|| number.as_u64().map(i128::from));
    let nanoseconds = match exact_integer {
        Some(integer) => integer * nanoseconds_per_unit,
        None => {
            // Whole and fractional parts apart, so `1700000000.25` s is exactly ...250000000 ns.
            if !approximate.is_finite() || approximate.abs() > 9.3e18 {
                return Err(out_of_range());
            }
            let whole_units = approximate.trunc();
            let fraction_ns = ((approximate - whole_units) * nanoseconds_per_unit as f64).round();
            whole_units as i128 * nanoseconds_per_unit + fraction_ns as i128
        }
    };
    let nanoseconds = i64::try_from(nanoseconds).map_err(|_| out_of_range())?;
    if !is_timestamp_in_range(nanoseconds) {
        return Err(out_of_range());
    }
    Ok(nanoseconds)
}

fn json_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}
