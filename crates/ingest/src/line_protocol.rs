//! Batches of InfluxDB line protocol (`/write`, `/api/v2/write`) with InfluxDB's
//! partial-write semantics: every valid line is kept, the first bad line is reported with its
//! 1-based number and the reason, and accepted and rejected lines are counted. Blank lines and
//! `#` comments are skipped without counting.
//!
//! Two ways in: [`parse_batch_visit`] hands each point to a closure as a borrowed
//! [`PointRef`] (no allocation per line: the fast path for the series window), and
//! [`parse_batch`] collects owned [`Point`]s.

use serde::Serialize;

use crate::field_value::LineErrorReason;
use crate::line_parser::{is_blank_or_comment, parse_line_into};
use crate::point::Point;
use crate::point_ref::PointRef;
use crate::precision::Precision;

/// A line that could not be parsed: its 1-based number in the batch and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line_number}: {reason}")]
pub struct LineError {
    pub line_number: usize,
    pub reason: LineErrorReason,
}

/// Counts of one batch and its first bad line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineBatchSummary {
    /// Lines parsed into points.
    pub accepted_lines: usize,
    /// Non-blank, non-comment lines that were invalid.
    pub rejected_lines: usize,
    pub first_error: Option<LineError>,
}

/// Every valid point of a batch, owned, with the batch's counts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LineProtocolBatch {
    pub points: Vec<Point>,
    pub accepted_lines: usize,
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

impl LineBatchSummary {
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

    fn record(&mut self, line_number: usize, line_result: Result<bool, LineErrorReason>) {
        match line_result {
            Ok(true) => self.accepted_lines += 1,
            Ok(false) => {}
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

impl LineProtocolBatch {
    /// The 400 body naming the first bad line, or `None` when every line was valid.
    pub fn partial_write_error(&self) -> Option<PartialWriteError> {
        self.summary().partial_write_error()
    }

    pub fn summary(&self) -> LineBatchSummary {
        LineBatchSummary {
            accepted_lines: self.accepted_lines,
            rejected_lines: self.rejected_lines,
            first_error: self.first_error.clone(),
        }
    }
}

/// Parses a batch, calling `on_point` for every valid line in order. `default_timestamp_ns`
/// is used for lines without a timestamp (the time the request arrived).
pub fn parse_batch_visit<'body>(
    body: &'body str,
    precision: Precision,
    default_timestamp_ns: i64,
    mut on_point: impl FnMut(&PointRef<'body>),
) -> LineBatchSummary {
    let mut summary = LineBatchSummary::default();
    let mut point = PointRef::default();
    for (line_index, line) in body.split('\n').enumerate() {
        let line_result = parse_line_into(line, precision, default_timestamp_ns, &mut point);
        if line_result == Ok(true) {
            on_point(&point);
        }
        summary.record(line_index + 1, line_result);
    }
    record_batch_metrics(&summary);
    summary
}

/// Like [`parse_batch_visit`] for a body given as bytes: lines that are not UTF-8 are rejected
/// one by one (or skipped, when they are comments).
pub fn parse_batch_bytes_visit<'body>(
    body: &'body [u8],
    precision: Precision,
    default_timestamp_ns: i64,
    mut on_point: impl FnMut(&PointRef<'body>),
) -> LineBatchSummary {
    if let Ok(text) = std::str::from_utf8(body) {
        return parse_batch_visit(text, precision, default_timestamp_ns, on_point);
    }
    let mut summary = LineBatchSummary::default();
    let mut point = PointRef::default();
    for (line_index, raw_line) in body.split(|&byte| byte == b'\n').enumerate() {
        let line_result = match std::str::from_utf8(raw_line) {
            Ok(line) => parse_line_into(line, precision, default_timestamp_ns, &mut point),
            Err(_) if is_blank_or_comment(raw_line) => Ok(false),
            Err(_) => Err(LineErrorReason::InvalidUtf8),
        };
        if line_result == Ok(true) {
            on_point(&point);
        }
        summary.record(line_index + 1, line_result);
    }
    record_batch_metrics(&summary);
    summary
}

/// Parses a batch into owned points.
pub fn parse_batch(
    body: &str,
    precision: Precision,
    default_timestamp_ns: i64,
) -> LineProtocolBatch {
    let mut points = Vec::with_capacity(body.len() / 64);
    let summary = parse_batch_visit(body, precision, default_timestamp_ns, |point| {
        points.push(point.to_point());
    });
    into_batch(points, summary)
}

/// Parses a batch given as bytes into owned points.
pub fn parse_batch_bytes(
    body: &[u8],
    precision: Precision,
    default_timestamp_ns: i64,
) -> LineProtocolBatch {
    let mut points = Vec::with_capacity(body.len() / 64);
    let summary = parse_batch_bytes_visit(body, precision, default_timestamp_ns, |point| {
        points.push(point.to_point());
    });
    into_batch(points, summary)
}

/// Parses one line into an owned point. `Ok(None)` for a blank or comment line.
pub fn parse_line(
    line: &str,
    precision: Precision,
    default_timestamp_ns: i64,
) -> Result<Option<Point>, LineErrorReason> {
    let mut point = PointRef::default();
    let is_point = parse_line_into(line, precision, default_timestamp_ns, &mut point)?;
    Ok(is_point.then(|| point.to_point()))
}

fn into_batch(points: Vec<Point>, summary: LineBatchSummary) -> LineProtocolBatch {
    LineProtocolBatch {
        points,
        accepted_lines: summary.accepted_lines,
        rejected_lines: summary.rejected_lines,
        first_error: summary.first_error,
    }
}

fn record_batch_metrics(summary: &LineBatchSummary) {
    metrics::counter!("detectviz_ingest_points_total", "format" => "line_protocol")
        .increment(summary.accepted_lines as u64);
    metrics::counter!("detectviz_ingest_rejected_lines_total", "format" => "line_protocol")
        .increment(summary.rejected_lines as u64);
}
