//! The zero-copy path (`parse_batch_visit` → `PointRef`) agrees with the owned path and
//! borrows from the body unless a name held an escape.

use std::borrow::Cow;

use detectviz::{Labels, SeriesKey};
use ingest::{
    FieldValueRef, Precision, SeriesWindow, SeriesWindowConfig, parse_batch, parse_batch_visit,
};

const BODY: &str = "cpu,host=a,cpu=0 user=1.5,idle=98i,note=\"ok\" 1000000\n\
                    bad line\n\
                    disk,path=/var\\ log used=3u,full=false 2000000\n\
                    # comment\n\
                    mem free=\"a \\\"quoted\\\" word\" 3000000\n";

#[test]
fn visited_points_equal_the_owned_points() {
    let mut visited = Vec::new();
    let summary = parse_batch_visit(BODY, Precision::Nanoseconds, 0, |point| {
        visited.push(point.to_point());
    });
    let owned = parse_batch(BODY, Precision::Nanoseconds, 0);
    assert_eq!(visited, owned.points);
    assert_eq!(summary, owned.summary());
    assert_eq!(summary.accepted_lines, 3);
    assert_eq!(summary.first_error.unwrap().line_number, 2);
}

#[test]
fn names_and_strings_are_borrowed_unless_they_held_escapes() {
    let mut checked = 0;
    parse_batch_visit(BODY, Precision::Nanoseconds, 0, |point| {
        checked += 1;
        assert!(matches!(point.measurement, Cow::Borrowed(_)));
        for (key, value) in &point.tags {
            assert!(matches!(key, Cow::Borrowed(_)));
            let escaped = value.contains(' ');
            assert_eq!(matches!(value, Cow::Owned(_)), escaped, "{value}");
        }
        for (_, value) in &point.fields {
            if let FieldValueRef::String(text) = value {
                assert_eq!(matches!(text, Cow::Owned(_)), text.contains('"'), "{text}");
            }
        }
    });
    assert_eq!(checked, 3);
}

#[test]
fn window_insert_from_borrowed_points_matches_owned_points() {
    let config = SeriesWindowConfig::default();
    let from_refs = SeriesWindow::new(config);
    parse_batch_visit(BODY, Precision::Nanoseconds, 0, |point| {
        from_refs.insert_point_ref(point)
    });
    let from_owned = SeriesWindow::new(config);
    from_owned.insert_points(&parse_batch(BODY, Precision::Nanoseconds, 0).points);
    let mut keys = from_refs.series_keys();
    keys.sort();
    let mut owned_keys = from_owned.series_keys();
    owned_keys.sort();
    assert_eq!(keys, owned_keys);
    assert_eq!(
        keys.len(),
        4,
        "user, idle, used, full: strings are not series"
    );
    let disk_used = SeriesKey {
        measurement: "disk".into(),
        tags: [("path", "/var log")].into_iter().collect::<Labels>(),
        field: "used".into(),
    };
    assert_eq!(from_refs.recent(&disk_used), vec![(2, 3.0)]);
}
