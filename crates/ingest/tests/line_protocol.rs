//! Line protocol parsing rules, one test per rule of InfluxDB's documented syntax.

use ingest::{FieldValue, LineErrorReason, Point, Precision, parse_batch, parse_batch_bytes};

const NOW_NS: i64 = 1_700_000_000_123_456_789;

fn parse_one(line: &str) -> Point {
    let batch = parse_batch(line, Precision::Nanoseconds, NOW_NS);
    assert_eq!(batch.first_error, None, "line {line:?} should parse");
    assert_eq!(batch.points.len(), 1);
    batch.points.into_iter().next().unwrap()
}

fn reject_reason(line: &str) -> LineErrorReason {
    let batch = parse_batch(line, Precision::Nanoseconds, NOW_NS);
    assert_eq!(batch.accepted_lines, 0, "line {line:?} should be rejected");
    assert_eq!(batch.rejected_lines, 1);
    batch.first_error.expect("an error").reason
}

fn field(point: &Point, key: &str) -> FieldValue {
    point
        .fields
        .iter()
        .find(|(field_key, _)| field_key == key)
        .map(|(_, value)| value.clone())
        .unwrap_or_else(|| panic!("no field {key:?} in {point:?}"))
}

fn tags(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect()
}

#[test]
fn full_line_parses_measurement_sorted_tags_fields_and_timestamp() {
    let point = parse_one("cpu,zone=b,host=a usage=0.5,count=3i 1700000000000000000");
    assert_eq!(point.measurement, "cpu");
    assert_eq!(point.tags, tags(&[("host", "a"), ("zone", "b")]));
    assert_eq!(field(&point, "usage"), FieldValue::Float(0.5));
    assert_eq!(field(&point, "count"), FieldValue::Integer(3));
    assert_eq!(point.timestamp_ns, 1_700_000_000_000_000_000);
}

#[test]
fn measurement_escapes_comma_and_space_only() {
    let point = parse_one(r"my\ cpu\,x,host=a v=1");
    assert_eq!(point.measurement, "my cpu,x");
    let point = parse_one(r"a\=b\t v=1");
    assert_eq!(
        point.measurement, r"a\=b\t",
        "other backslashes stay literal"
    );
}

#[test]
fn tag_keys_and_values_escape_comma_equals_and_space() {
    let point = parse_one(r"m,tag\ key\,x\=y=va\ l\,u\=e v=1");
    assert_eq!(point.tags, tags(&[("tag key,x=y", "va l,u=e")]));
}

#[test]
fn field_keys_escape_comma_equals_and_space() {
    let point = parse_one(r"m fi\ el\,d\=x=1i");
    assert_eq!(
        point.fields,
        vec![("fi el,d=x".to_string(), FieldValue::Integer(1))]
    );
}

#[test]
fn string_fields_unescape_quote_and_backslash_and_keep_other_backslashes() {
    let point = parse_one(r#"m s="say \"hi\", a\\b, c\d, x=y z" 1"#);
    assert_eq!(
        field(&point, "s"),
        FieldValue::String(r#"say "hi", a\b, c\d, x=y z"#.to_string())
    );
}

#[test]
fn unicode_in_names_tags_and_strings() {
    let point = parse_one("溫度,機台=一號\\ 機 值=1.5,說明=\"正常 ✓\"");
    assert_eq!(point.measurement, "溫度");
    assert_eq!(point.tags, tags(&[("機台", "一號 機")]));
    assert_eq!(field(&point, "說明"), FieldValue::String("正常 ✓".into()));
}

#[test]
fn every_numeric_type_parses() {
    let point =
        parse_one("m a=1,b=-1.5,c=1e3,d=-2.5E-2,e=.5,f=42i,g=-42i,h=42u,i=18446744073709551615u");
    assert_eq!(field(&point, "a"), FieldValue::Float(1.0));
    assert_eq!(field(&point, "b"), FieldValue::Float(-1.5));
    assert_eq!(field(&point, "c"), FieldValue::Float(1000.0));
    assert_eq!(field(&point, "d"), FieldValue::Float(-0.025));
    assert_eq!(field(&point, "e"), FieldValue::Float(0.5));
    assert_eq!(field(&point, "f"), FieldValue::Integer(42));
    assert_eq!(field(&point, "g"), FieldValue::Integer(-42));
    assert_eq!(field(&point, "h"), FieldValue::Unsigned(42));
    assert_eq!(field(&point, "i"), FieldValue::Unsigned(u64::MAX));
}

#[test]
fn every_boolean_spelling_parses() {
    for spelling in ["t", "T", "true", "True", "TRUE"] {
        assert_eq!(
            field(&parse_one(&format!("m b={spelling}")), "b"),
            FieldValue::Boolean(true)
        );
    }
    for spelling in ["f", "F", "false", "False", "FALSE"] {
        assert_eq!(
            field(&parse_one(&format!("m b={spelling}")), "b"),
            FieldValue::Boolean(false)
        );
    }
    assert!(matches!(
        reject_reason("m b=tRUE"),
        LineErrorReason::InvalidFieldValue { .. }
    ));
    assert!(matches!(
        reject_reason("m b=yes"),
        LineErrorReason::InvalidFieldValue { .. }
    ));
}

#[test]
fn integer_and_unsigned_out_of_range_are_rejected() {
    assert_eq!(
        field(&parse_one("m v=9223372036854775807i"), "v"),
        FieldValue::Integer(i64::MAX)
    );
    assert_eq!(
        field(&parse_one("m v=-9223372036854775808i"), "v"),
        FieldValue::Integer(i64::MIN)
    );
    assert_eq!(
        reject_reason("m v=9223372036854775808i"),
        LineErrorReason::IntegerOutOfRange("v".into())
    );
    assert_eq!(
        reject_reason("m v=18446744073709551616u"),
        LineErrorReason::UnsignedOutOfRange("v".into())
    );
    assert!(matches!(
        reject_reason("m v=-1u"),
        LineErrorReason::InvalidFieldValue { .. }
    ));
    assert!(matches!(
        reject_reason("m v=1.5i"),
        LineErrorReason::InvalidFieldValue { .. }
    ));
    assert_eq!(
        reject_reason("m v=1e400"),
        LineErrorReason::FloatOutOfRange("v".into())
    );
}

#[test]
fn nan_and_inf_are_rejected() {
    for value in ["NaN", "nan", "Inf", "-Inf", "+inf", "infinity"] {
        assert_eq!(
            reject_reason(&format!("m v={value}")),
            LineErrorReason::NonFiniteFloat("v".into()),
            "{value}"
        );
    }
}

#[test]
fn malformed_numbers_are_rejected() {
    for value in ["1.2.3", "+1", "1e", "-", ".", "1_000", "0x10", "1e+"] {
        assert!(
            matches!(
                reject_reason(&format!("m v={value}")),
                LineErrorReason::InvalidFieldValue { .. }
            ),
            "{value}"
        );
    }
}

#[test]
fn duplicate_field_keys_keep_the_last_value() {
    let point = parse_one("m a=1,b=2,a=3i");
    assert_eq!(
        point.fields,
        vec![
            ("a".to_string(), FieldValue::Integer(3)),
            ("b".to_string(), FieldValue::Float(2.0))
        ]
    );
    let many_fields: Vec<String> = (0..100).map(|index| format!("f{index}={index}i")).collect();
    let point = parse_one(&format!("m {},f7=-1i", many_fields.join(",")));
    assert_eq!(point.fields.len(), 100);
    assert_eq!(field(&point, "f7"), FieldValue::Integer(-1));
}

#[test]
fn duplicate_tag_keys_are_rejected() {
    assert_eq!(
        reject_reason("m,a=1,a=2 v=1"),
        LineErrorReason::DuplicateTag("a".into())
    );
}

#[test]
fn structural_errors_name_what_is_missing() {
    assert_eq!(
        reject_reason(",a=1 v=1"),
        LineErrorReason::MissingMeasurement
    );
    assert_eq!(reject_reason(" v=1"), LineErrorReason::MissingFields);
    assert_eq!(reject_reason("m"), LineErrorReason::MissingFields);
    assert_eq!(reject_reason("m,a=1"), LineErrorReason::MissingFields);
    assert_eq!(reject_reason("m,=1 v=1"), LineErrorReason::MissingTagKey);
    assert_eq!(
        reject_reason("m,a= v=1"),
        LineErrorReason::MissingTagValue("a".into())
    );
    assert_eq!(
        reject_reason("m,a v=1"),
        LineErrorReason::MissingTagValue("a".into())
    );
    assert_eq!(
        reject_reason("m,a=b=c v=1"),
        LineErrorReason::UnescapedEqualsInTagValue("a".into())
    );
    assert_eq!(reject_reason("m =1"), LineErrorReason::MissingFieldKey);
    assert_eq!(reject_reason("m v=1,"), LineErrorReason::MissingFieldKey);
    assert_eq!(
        reject_reason("m v"),
        LineErrorReason::MissingFieldValue("v".into())
    );
    assert_eq!(
        reject_reason("m v="),
        LineErrorReason::MissingFieldValue("v".into())
    );
    assert_eq!(
        reject_reason(r#"m s="open"#),
        LineErrorReason::UnbalancedQuotes("s".into())
    );
    assert!(matches!(
        reject_reason(r#"m s="a"x"#),
        LineErrorReason::InvalidFieldValue { .. }
    ));
}

#[test]
fn missing_timestamp_uses_the_default() {
    assert_eq!(parse_one("m v=1").timestamp_ns, NOW_NS);
    assert_eq!(parse_one("m v=1   ").timestamp_ns, NOW_NS);
}

#[test]
fn invalid_and_out_of_range_timestamps_are_rejected() {
    assert_eq!(parse_one("m v=1 -1").timestamp_ns, -1);
    assert_eq!(
        parse_one("m v=1 9223372036854775806").timestamp_ns,
        i64::MAX - 1
    );
    assert_eq!(
        reject_reason("m v=1 9223372036854775807"),
        LineErrorReason::TimestampOutOfRange("9223372036854775807".into())
    );
    assert_eq!(
        reject_reason("m v=1 -9223372036854775808"),
        LineErrorReason::TimestampOutOfRange("-9223372036854775808".into())
    );
    assert_eq!(
        reject_reason("m v=1 99999999999999999999"),
        LineErrorReason::TimestampOutOfRange("99999999999999999999".into())
    );
    assert_eq!(
        reject_reason("m v=1 12x"),
        LineErrorReason::InvalidTimestamp("12x".into())
    );
    assert_eq!(
        reject_reason("m v=1 1 2"),
        LineErrorReason::InvalidTimestamp("1 2".into())
    );
    assert_eq!(
        reject_reason("m v=1 1.5"),
        LineErrorReason::InvalidTimestamp("1.5".into())
    );
}

#[test]
fn precision_scales_timestamps_and_overflow_is_out_of_range() {
    let cases = [
        (Precision::Nanoseconds, 1_000_000_000_i64),
        (Precision::Microseconds, 1_000_000_000_000),
        (Precision::Milliseconds, 1_000_000_000_000_000),
        (Precision::Seconds, 1_000_000_000_000_000_000),
    ];
    for (precision, expected) in cases {
        let batch = parse_batch("m v=1 1000000000", precision, NOW_NS);
        assert_eq!(batch.points[0].timestamp_ns, expected, "{precision:?}");
    }
    let batch = parse_batch("m v=1 2", Precision::Minutes, NOW_NS);
    assert_eq!(batch.points[0].timestamp_ns, 120_000_000_000);
    let batch = parse_batch("m v=1 2", Precision::Hours, NOW_NS);
    assert_eq!(batch.points[0].timestamp_ns, 7_200_000_000_000);
    let batch = parse_batch("m v=1 10000000000", Precision::Seconds, NOW_NS);
    assert!(matches!(
        batch.first_error.unwrap().reason,
        LineErrorReason::TimestampOutOfRange(_)
    ));
}

#[test]
fn precision_query_parameter_names() {
    for (parameter, expected) in [
        (None, Precision::Nanoseconds),
        (Some("ns"), Precision::Nanoseconds),
        (Some("n"), Precision::Nanoseconds),
        (Some("u"), Precision::Microseconds),
        (Some("us"), Precision::Microseconds),
        (Some("ms"), Precision::Milliseconds),
        (Some("s"), Precision::Seconds),
        (Some("m"), Precision::Minutes),
        (Some("h"), Precision::Hours),
    ] {
        assert_eq!(Precision::from_query_parameter(parameter), Ok(expected));
    }
    assert_eq!(
        Precision::from_v2_query_parameter(None),
        Ok(Precision::Nanoseconds)
    );
    assert_eq!(
        Precision::from_v2_query_parameter(Some("us")),
        Ok(Precision::Microseconds)
    );
    assert_eq!(
        Precision::from_v2_query_parameter(Some("s")),
        Ok(Precision::Seconds)
    );
    assert!(
        Precision::from_v2_query_parameter(Some("h")).is_err(),
        "v2 has no hours"
    );
    assert!(Precision::from_v2_query_parameter(Some("u")).is_err());
    let error = Precision::from_query_parameter(Some("d")).unwrap_err();
    assert!(error.to_string().contains("unknown precision \"d\""));
}

#[test]
fn comments_blank_lines_crlf_and_trailing_whitespace_are_tolerated() {
    let body = "# a comment\r\n\r\n   \ncpu v=1 1\r\n  # indented comment\nmem v=2 2   \t\r\n\n";
    let batch = parse_batch(body, Precision::Nanoseconds, NOW_NS);
    assert_eq!(batch.first_error, None);
    assert_eq!(batch.accepted_lines, 2);
    assert_eq!(batch.rejected_lines, 0);
    assert_eq!(batch.points[1].measurement, "mem");
    assert_eq!(batch.points[1].timestamp_ns, 2);
}

#[test]
fn partial_batch_keeps_valid_lines_and_names_the_first_bad_line() {
    let body = "cpu v=1 1\n# comment\ncpu v=NaN 2\ncpu v=3 3\nbad\ncpu v=5 5\n";
    let batch = parse_batch(body, Precision::Nanoseconds, NOW_NS);
    assert_eq!(batch.accepted_lines, 3);
    assert_eq!(batch.rejected_lines, 2);
    let first_error = batch.first_error.clone().unwrap();
    assert_eq!(first_error.line_number, 3);
    assert_eq!(
        first_error.reason,
        LineErrorReason::NonFiniteFloat("v".into())
    );
    let timestamps: Vec<i64> = batch
        .points
        .iter()
        .map(|point| point.timestamp_ns)
        .collect();
    assert_eq!(timestamps, vec![1, 3, 5]);
    let body = batch.partial_write_error().unwrap();
    assert_eq!(body.line, 3);
    assert_eq!(body.accepted, 3);
    assert_eq!(body.rejected, 2);
    assert!(
        body.error.starts_with("partial write: line 3: NaN and Inf"),
        "{}",
        body.error
    );
    let json = serde_json::to_value(&body).unwrap();
    assert_eq!(json["line"], 3);
    assert_eq!(json["accepted"], 3);
}

#[test]
fn a_clean_batch_has_no_partial_write_error() {
    let batch = parse_batch("cpu v=1 1\n", Precision::Nanoseconds, NOW_NS);
    assert_eq!(batch.partial_write_error(), None);
}

#[test]
fn invalid_utf8_rejects_only_its_own_line() {
    let mut body = b"cpu v=1 1\n".to_vec();
    body.extend_from_slice(b"cpu,host=\xff v=2 2\n# \xfe comment\ncpu v=3 3\n");
    let batch = parse_batch_bytes(&body, Precision::Nanoseconds, NOW_NS);
    assert_eq!(batch.accepted_lines, 2);
    assert_eq!(batch.rejected_lines, 1);
    assert_eq!(batch.first_error.unwrap().line_number, 2);
}

#[test]
fn samples_are_numeric_fields_in_milliseconds() {
    let point = parse_one(r#"cpu,host=a f=1.5,i=2i,u=3u,b=true,s="text" 1700000000123456789"#);
    let samples = point.samples();
    let values: Vec<(String, f64)> = samples
        .iter()
        .map(|sample| (sample.series.field.clone(), sample.value))
        .collect();
    assert_eq!(
        values,
        vec![
            ("f".into(), 1.5),
            ("i".into(), 2.0),
            ("u".into(), 3.0),
            ("b".into(), 1.0)
        ]
    );
    assert!(
        samples
            .iter()
            .all(|sample| sample.timestamp_ms == 1_700_000_000_123)
    );
    assert_eq!(samples[0].series.measurement, "cpu");
    assert_eq!(samples[0].series.tags.get("host"), Some("a"));
    assert_eq!(parse_one("m b=f").samples()[0].value, 0.0);
}
