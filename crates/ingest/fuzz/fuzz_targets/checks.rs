//! Invariants both parsers must keep for any input. Shared by the cargo-fuzz targets (nightly)
//! and by `crates/ingest/tests/fuzz_smoke.rs` (stable, run in CI).
//!
//! Line protocol: no panic; accepted + rejected equals the number of non-blank, non-comment
//! lines; the visitor sees exactly the accepted points; the first error is present exactly when
//! a line was rejected and names a real line; every point is well formed (non-empty names,
//! sorted unique tags, unique field keys, finite floats, timestamp in range); and a point
//! without backslashes in any name reads back the same after writing it out.
//!
//! Telegraf JSON: no panic; when the body is accepted, accepted + rejected equals the number of
//! metrics in it (counted independently here) and every point is well formed.

#![allow(dead_code)]

use ingest::{FieldValue, Point, Precision};
use serde_json::Value;

const NOW_NS: i64 = 1_700_000_000_000_000_000;

pub fn check_line_protocol(body: &[u8]) {
    let expected_lines = body
        .split(|&byte| byte == b'\n')
        .filter(|line| !ingest::is_blank_or_comment(line))
        .count();
    let mut visited = 0;
    let summary = ingest::parse_batch_bytes_visit(body, Precision::Nanoseconds, NOW_NS, |_| {
        visited += 1;
    });
    assert_eq!(
        summary.accepted_lines + summary.rejected_lines,
        expected_lines,
        "every counted line is accepted or rejected"
    );
    assert_eq!(visited, summary.accepted_lines);
    assert_eq!(summary.first_error.is_some(), summary.rejected_lines > 0);
    if let Some(first_error) = &summary.first_error {
        let line_count = body.split(|&byte| byte == b'\n').count();
        assert!((1..=line_count).contains(&first_error.line_number));
        assert!(!first_error.to_string().is_empty());
    }

    let batch = ingest::parse_batch_bytes(body, Precision::Nanoseconds, NOW_NS);
    assert_eq!(batch.points.len(), summary.accepted_lines);
    assert_eq!(batch.summary(), summary);
    for point in &batch.points {
        check_point(point);
        check_round_trip(point);
    }
}

pub fn check_telegraf_json(body: &[u8]) {
    let result = ingest::parse_telegraf_json(body, None, NOW_NS);
    let expected = count_metrics(body);
    match (result, expected) {
        (Ok(batch), Some(expected_metrics)) => {
            assert_eq!(
                batch.accepted_metrics + batch.rejected_metrics,
                expected_metrics
            );
            assert_eq!(batch.points.len(), batch.accepted_metrics);
            assert_eq!(batch.first_error.is_some(), batch.rejected_metrics > 0);
            if let Some(first_error) = &batch.first_error {
                assert!(first_error.metric_index < expected_metrics);
            }
            for point in &batch.points {
                check_point(point);
            }
        }
        (Err(_), None) => {}
        (result, expected) => panic!("parser said {result:?}, independent count {expected:?}"),
    }
    // The same body with explicit units must not panic either.
    for unit in ["s", "ms", "us", "ns"] {
        let unit = ingest::TimestampUnit::from_parameter(unit).ok();
        let _ = ingest::parse_telegraf_json(body, unit, NOW_NS);
    }
}

/// Metrics in a body, counted without the parser: `None` when it must be refused whole.
fn count_metrics(body: &[u8]) -> Option<usize> {
    let mut documents = serde_json::Deserializer::from_slice(body).into_iter::<Value>();
    let mut document_count = 0;
    let mut metrics = 0;
    loop {
        let document = match documents.next() {
            None => break,
            Some(Ok(document)) => document,
            Some(Err(_)) if document_count == 0 => return None,
            Some(Err(_)) => return Some(metrics + 1),
        };
        document_count += 1;
        metrics += match document {
            Value::Object(object) if object.contains_key("metrics") => match &object["metrics"] {
                Value::Array(array) => array.len(),
                _ => return None,
            },
            Value::Array(array) => array.len(),
            Value::Object(_) => 1,
            _ => return None,
        };
    }
    (document_count > 0).then_some(metrics)
}

fn check_point(point: &Point) {
    assert!(!point.measurement.is_empty());
    assert!(!point.fields.is_empty());
    assert!(
        point.tags.windows(2).all(|pair| pair[0].0 < pair[1].0),
        "tags sorted, unique"
    );
    for (index, (key, value)) in point.fields.iter().enumerate() {
        assert!(!key.is_empty());
        assert!(
            point.fields[..index]
                .iter()
                .all(|(earlier, _)| earlier != key),
            "field keys unique"
        );
        if let FieldValue::Float(number) = value {
            assert!(number.is_finite());
        }
    }
    assert!(ingest::precision::is_timestamp_in_range(point.timestamp_ns));
    assert_eq!(point.samples().len(), point.numeric_field_count());
}

/// Line protocol cannot carry a backslash next to an escapable character unambiguously, nor a
/// measurement starting with `#`; every other point must survive write → parse unchanged.
fn check_round_trip(point: &Point) {
    let names = std::iter::once(point.measurement.as_str())
        .chain(
            point
                .tags
                .iter()
                .flat_map(|(key, value)| [key.as_str(), value.as_str()]),
        )
        .chain(point.fields.iter().map(|(key, _)| key.as_str()));
    let has_backslash = names.into_iter().any(|name| name.contains('\\'));
    if has_backslash || point.measurement.starts_with('#') {
        return;
    }
    let mut text = String::new();
    ingest::write_point(point, &mut text);
    let reparsed = ingest::parse_batch(&text, Precision::Nanoseconds, 0);
    assert_eq!(
        reparsed.first_error, None,
        "written line {text:?} must parse"
    );
    assert_eq!(
        reparsed.points,
        vec![point.clone()],
        "round trip of {text:?}"
    );
}
