//! Telegraf JSON serializer bodies: batch and single metric, timestamp units, per-metric errors.

use ingest::{
    FieldValue, MetricErrorReason, TelegrafJsonError, TimestampUnit, parse_telegraf_json,
};

const NOW_NS: i64 = 1_700_000_000_000_000_000;

fn parse(body: &str, unit: Option<TimestampUnit>) -> ingest::TelegrafJsonBatch {
    parse_telegraf_json(body.as_bytes(), unit, NOW_NS).expect("a telegraf json body")
}

#[test]
fn batch_of_metrics_becomes_points_with_sorted_tags() {
    let body = r#"{"metrics":[
        {"name":"cpu","tags":{"host":"a","cpu":"cpu0"},"fields":{"usage_idle":99.5,"up":true,"state":"ok"},"timestamp":1700000000},
        {"name":"mem","tags":{},"fields":{"used":1024},"timestamp":1700000001}
    ]}"#;
    let batch = parse(body, Some(TimestampUnit::Seconds));
    assert_eq!(batch.accepted_metrics, 2);
    assert_eq!(batch.rejected_metrics, 0);
    let cpu = &batch.points[0];
    assert_eq!(cpu.measurement, "cpu");
    assert_eq!(
        cpu.tags,
        vec![
            ("cpu".to_string(), "cpu0".to_string()),
            ("host".to_string(), "a".to_string())
        ]
    );
    assert!(
        cpu.fields
            .contains(&("usage_idle".to_string(), FieldValue::Float(99.5)))
    );
    assert!(
        cpu.fields
            .contains(&("up".to_string(), FieldValue::Boolean(true)))
    );
    assert!(
        cpu.fields
            .contains(&("state".to_string(), FieldValue::String("ok".into())))
    );
    assert_eq!(cpu.timestamp_ns, 1_700_000_000_000_000_000);
    assert_eq!(
        batch.points[1].fields,
        vec![("used".to_string(), FieldValue::Float(1024.0))]
    );
    assert_eq!(batch.points[1].timestamp_ns, 1_700_000_001_000_000_000);
}

#[test]
fn single_metric_and_newline_delimited_metrics() {
    let single = r#"{"fields":{"v":1},"name":"m","tags":{"t":"x"},"timestamp":1700000000}"#;
    assert_eq!(parse(single, None).points.len(), 1);
    let stream = format!("{single}\n{single}\n");
    assert_eq!(parse(&stream, None).accepted_metrics, 2);
}

#[test]
fn timestamp_units_from_parameter() {
    let cases = [
        (
            TimestampUnit::Seconds,
            "1700000000",
            1_700_000_000_000_000_000_i64,
        ),
        (
            TimestampUnit::Milliseconds,
            "1700000000123",
            1_700_000_000_123_000_000,
        ),
        (
            TimestampUnit::Microseconds,
            "1700000000123456",
            1_700_000_000_123_456_000,
        ),
        (
            TimestampUnit::Nanoseconds,
            "1700000000123456789",
            1_700_000_000_123_456_789,
        ),
        (
            TimestampUnit::Seconds,
            "1700000000.25",
            1_700_000_000_250_000_000,
        ),
        (TimestampUnit::Seconds, "5", 5_000_000_000),
    ];
    for (unit, timestamp, expected) in cases {
        let body = format!(r#"{{"name":"m","fields":{{"v":1}},"timestamp":{timestamp}}}"#);
        assert_eq!(
            parse(&body, Some(unit)).points[0].timestamp_ns,
            expected,
            "{unit:?} {timestamp}"
        );
    }
}

#[test]
fn timestamp_unit_is_inferred_from_magnitude_when_not_given() {
    for timestamp in [
        "1700000000",
        "1700000000.0",
        "1700000000000",
        "1700000000000000",
        "1700000000000000000",
    ] {
        let body = format!(r#"{{"name":"m","fields":{{"v":1}},"timestamp":{timestamp}}}"#);
        assert_eq!(
            parse(&body, None).points[0].timestamp_ns,
            NOW_NS,
            "{timestamp}"
        );
    }
}

#[test]
fn timestamp_unit_parameter_spellings() {
    assert_eq!(
        TimestampUnit::from_parameter("1s"),
        Ok(TimestampUnit::Seconds)
    );
    assert_eq!(
        TimestampUnit::from_parameter("ms"),
        Ok(TimestampUnit::Milliseconds)
    );
    assert_eq!(
        TimestampUnit::from_parameter("1us"),
        Ok(TimestampUnit::Microseconds)
    );
    assert_eq!(
        TimestampUnit::from_parameter("1ns"),
        Ok(TimestampUnit::Nanoseconds)
    );
    assert!(TimestampUnit::from_parameter("1d").is_err());
}

#[test]
fn missing_timestamp_uses_the_default() {
    let batch = parse(r#"{"name":"m","fields":{"v":1}}"#, None);
    assert_eq!(batch.points[0].timestamp_ns, NOW_NS);
}

#[test]
fn bad_metrics_are_named_by_index_and_valid_ones_kept() {
    let body = r#"{"metrics":[
        {"name":"ok","fields":{"v":1}},
        {"name":"","fields":{"v":1}},
        {"name":"m","fields":{}},
        {"name":"m","fields":{"v":null}},
        {"name":"m","tags":{"t":1},"fields":{"v":1}},
        {"name":"m","fields":{"v":1},"timestamp":"2024-01-01"},
        {"name":"m","fields":{"v":1},"timestamp":1e30},
        {"name":"m","fields":{"v":[1]}},
        "not an object",
        {"name":"ok2","fields":{"v":2}}
    ]}"#;
    let batch = parse(body, Some(TimestampUnit::Seconds));
    assert_eq!(batch.accepted_metrics, 2);
    assert_eq!(batch.rejected_metrics, 8);
    let names: Vec<&str> = batch
        .points
        .iter()
        .map(|point| point.measurement.as_str())
        .collect();
    assert_eq!(names, vec!["ok", "ok2"]);
    let first_error = batch.first_error.clone().unwrap();
    assert_eq!(first_error.metric_index, 1);
    assert_eq!(first_error.reason, MetricErrorReason::MissingName);
    assert!(first_error.to_string().starts_with("metrics[1]: missing"));
    let body = serde_json::to_value(batch.partial_write_error().unwrap()).unwrap();
    assert_eq!(body["metric_index"], 1);
    assert_eq!(body["accepted"], 2);
    assert_eq!(body["rejected"], 8);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .starts_with("partial write: metrics[1]: missing")
    );
}

#[test]
fn each_metric_error_reason() {
    let reason = |metric: &str| {
        let batch = parse(
            &format!(r#"{{"metrics":[{metric}]}}"#),
            Some(TimestampUnit::Seconds),
        );
        assert_eq!(batch.accepted_metrics, 0, "{metric}");
        batch.first_error.unwrap().reason
    };
    assert_eq!(reason(r#"{"name":"m"}"#), MetricErrorReason::MissingFields);
    assert_eq!(
        reason(r#"{"name":"m","fields":{}}"#),
        MetricErrorReason::MissingFields
    );
    assert_eq!(
        reason(r#"{"name":"m","tags":[],"fields":{"v":1}}"#),
        MetricErrorReason::TagsNotAnObject
    );
    assert_eq!(
        reason(r#"{"name":"m","tags":{"t":1},"fields":{"v":1}}"#),
        MetricErrorReason::TagNotAString("t".into())
    );
    assert_eq!(
        reason(r#"{"name":"m","fields":{"v":{}}}"#),
        MetricErrorReason::InvalidFieldValue {
            field: "v".into(),
            found: "object"
        }
    );
    assert_eq!(
        reason(r#"{"name":"m","fields":{"v":1},"timestamp":"now"}"#),
        MetricErrorReason::InvalidTimestamp("string")
    );
    assert!(matches!(
        reason(r#"{"name":"m","fields":{"v":1},"timestamp":9300000000}"#),
        MetricErrorReason::TimestampOutOfRange(_)
    ));
    assert_eq!(reason("42"), MetricErrorReason::NotAnObject);
}

#[test]
fn unreadable_bodies_are_refused_whole() {
    let refuse = |body: &str| parse_telegraf_json(body.as_bytes(), None, NOW_NS).unwrap_err();
    assert!(matches!(
        refuse("{not json"),
        TelegrafJsonError::InvalidJson(_)
    ));
    assert_eq!(refuse(""), TelegrafJsonError::NotTelegrafJson);
    assert_eq!(refuse("42"), TelegrafJsonError::NotTelegrafJson);
    assert_eq!(
        refuse(r#"{"metrics":3}"#),
        TelegrafJsonError::NotTelegrafJson
    );
}

#[test]
fn garbage_after_valid_metrics_rejects_only_the_rest() {
    let body = r#"{"name":"m","fields":{"v":1}} {oops"#;
    let batch = parse(body, None);
    assert_eq!(batch.accepted_metrics, 1);
    assert_eq!(batch.rejected_metrics, 1);
    assert!(matches!(
        batch.first_error.unwrap().reason,
        MetricErrorReason::InvalidJson(_)
    ));
}

#[test]
fn empty_tags_are_dropped_and_unicode_kept() {
    let batch = parse(
        r#"{"name":"溫度","tags":{"機台":"一號","empty":""},"fields":{"值":1.5}}"#,
        None,
    );
    let point = &batch.points[0];
    assert_eq!(point.measurement, "溫度");
    assert_eq!(point.tags, vec![("機台".to_string(), "一號".to_string())]);
    assert_eq!(point.samples()[0].value, 1.5);
}
