//! Gzip bodies with a decompressed-size cap, and line protocol written back round-trips.

use std::io::Write as _;

use ingest::{
    BodyDecodeError, FieldValue, Point, Precision, decode_body, decode_gzip, parse_batch,
    write_points,
};

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

#[test]
fn gzip_body_within_the_limit_decodes() {
    let body = b"cpu v=1 1\ncpu v=2 2\n";
    assert_eq!(decode_gzip(&gzip(body), body.len()).unwrap(), body);
    assert_eq!(decode_body(Some("gzip"), &gzip(body), 1024).unwrap(), body);
}

#[test]
fn concatenated_gzip_members_decode_as_one_body() {
    let mut body = gzip(b"a v=1 1\n");
    body.extend(gzip(b"b v=2 2\n"));
    assert_eq!(decode_gzip(&body, 1024).unwrap(), b"a v=1 1\nb v=2 2\n");
}

#[test]
fn gzip_bomb_past_the_limit_is_too_large() {
    let bomb = gzip(&vec![b'a'; 10 * 1024 * 1024]);
    assert!(bomb.len() < 64 * 1024);
    let error = decode_gzip(&bomb, 1024 * 1024).unwrap_err();
    assert!(matches!(
        error,
        BodyDecodeError::TooLarge {
            limit_bytes: 1_048_576
        }
    ));
    assert_eq!(
        error.to_string(),
        "request body is larger than 1048576 bytes once decompressed"
    );
    let exact = vec![b'b'; 4096];
    assert!(decode_gzip(&gzip(&exact), 4095).is_err());
    assert!(decode_gzip(&gzip(&exact), 4096).is_ok());
}

#[test]
fn corrupt_gzip_and_unknown_encodings_are_errors() {
    assert!(matches!(
        decode_gzip(b"not gzip at all", 1024),
        Err(BodyDecodeError::InvalidGzip(_))
    ));
    let mut truncated = gzip(b"cpu v=1 1\n");
    truncated.truncate(truncated.len() - 6);
    assert!(matches!(
        decode_gzip(&truncated, 1024),
        Err(BodyDecodeError::InvalidGzip(_))
    ));
    assert!(matches!(
        decode_body(Some("br"), b"x", 1024),
        Err(BodyDecodeError::UnsupportedEncoding(_))
    ));
}

#[test]
fn identity_bodies_pass_through_with_the_limit() {
    assert_eq!(decode_body(None, b"abc", 3).unwrap(), b"abc");
    assert_eq!(decode_body(Some("identity"), b"abc", 3).unwrap(), b"abc");
    assert!(matches!(
        decode_body(None, b"abcd", 3),
        Err(BodyDecodeError::TooLarge { .. })
    ));
}

fn tricky_point() -> Point {
    Point {
        measurement: "my measurement,with=odd chars 溫度".into(),
        tags: vec![
            (
                "a key,with=all three".into(),
                "a value,with=all three".into(),
            ),
            ("plain".into(), "back\\slash in middle".into()),
        ],
        fields: vec![
            ("float field".into(), FieldValue::Float(-1.25e-7)),
            ("big float".into(), FieldValue::Float(1e300)),
            ("whole float".into(), FieldValue::Float(3.0)),
            ("int,=".into(), FieldValue::Integer(i64::MIN)),
            ("uint".into(), FieldValue::Unsigned(u64::MAX)),
            ("yes".into(), FieldValue::Boolean(true)),
            ("no".into(), FieldValue::Boolean(false)),
            (
                "text".into(),
                FieldValue::String(r#"say "hi" \ back\\slashes, = and spaces"#.into()),
            ),
        ],
        timestamp_ns: -1_234_567_890,
    }
}

#[test]
fn parse_of_written_points_gives_the_same_points() {
    let points = vec![
        tricky_point(),
        Point {
            measurement: "cpu".into(),
            tags: Vec::new(),
            fields: vec![("v".into(), FieldValue::Float(0.1))],
            timestamp_ns: 1_700_000_000_000_000_000,
        },
    ];
    let text = write_points(&points);
    let batch = parse_batch(&text, Precision::Nanoseconds, 0);
    assert_eq!(batch.first_error, None, "{text}");
    assert_eq!(batch.points, points, "{text}");
}
