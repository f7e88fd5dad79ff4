//! Detectviz ingest: what Telegraf sends, turned into points and samples.
//!
//! - [`line_protocol`]: InfluxDB line protocol (`/write`, `/api/v2/write`) with InfluxDB's
//!   partial-write semantics (every valid line kept, first bad line reported).
//! - [`telegraf_json`]: Telegraf's JSON serializer (`/api/v1/telegraf`), batch or single metric.
//! - [`gzip`]: `Content-Encoding: gzip` bodies with a decompressed-size cap (413).
//! - [`window`]: a bounded in-memory window of recent samples per series for the alert engine.
//! - [`forward`]: optional forwarding to InfluxDB 1.x, batched, retried, never blocking ingest.
//!
//! This crate knows nothing about HTTP routing: `viot-web` calls these functions. A write
//! handler looks like this:
//!
//! ```no_run
//! # use ingest::*;
//! # fn handle(window: &SeriesWindow, forwarder: Option<&InfluxForwarder>,
//! #           content_encoding: Option<&str>, precision: Option<&str>, body: &[u8])
//! #           -> Result<(), String> {
//! let body = decode_body(content_encoding, body, 32 * 1024 * 1024)
//!     .map_err(|error| error.to_string())?; // TooLarge → 413, others → 400
//! let precision = Precision::from_query_parameter(precision)
//!     .map_err(|error| error.to_string())?; // → 400
//! let summary = parse_batch_bytes_visit(&body, precision, now_ns(), |point| {
//!     window.insert_point_ref(point);
//!     if let Some(forwarder) = forwarder {
//!         forwarder.enqueue([point.to_point()]);
//!     }
//! });
//! window.publish_gauges();
//! match summary.partial_write_error() {
//!     None => Ok(()),                                   // → 204
//!     Some(body) => Err(serde_json::to_string(&body).unwrap()), // → 400 with this JSON
//! }
//! # }
//! ```

pub mod field_value;
pub mod forward;
pub mod gzip;
pub mod line_parser;
pub mod line_protocol;
pub mod line_protocol_writer;
pub mod point;
pub mod point_ref;
pub mod precision;
mod series_ring;
pub mod telegraf_json;
pub mod window;

pub use field_value::LineErrorReason;
pub use forward::{ForwardError, InfluxForwarder, InfluxForwarderConfig};
pub use gzip::{BodyDecodeError, decode_body, decode_gzip};
pub use line_parser::{is_blank_or_comment, parse_line_into};
pub use line_protocol::{
    LineBatchSummary, LineError, LineProtocolBatch, PartialWriteError, parse_batch,
    parse_batch_bytes, parse_batch_bytes_visit, parse_batch_visit, parse_line,
};
pub use line_protocol_writer::{
    UnsignedFields, write_point, write_point_with, write_points, write_points_with,
};
pub use point::{FieldValue, Point};
pub use point_ref::{FieldValueRef, PointRef};
pub use precision::{Precision, UnknownPrecision, now_ns};
pub use telegraf_json::{
    MetricError, MetricErrorReason, RejectedMetricsError, TelegrafJsonBatch, TelegrafJsonError,
    TimestampUnit, UnknownTimestampUnit, parse_telegraf_json,
};
pub use window::{SeriesWindow, SeriesWindowConfig};
