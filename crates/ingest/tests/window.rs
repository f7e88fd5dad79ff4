//! The series window: bounded rings, LRU eviction when full, stale eviction, memory per series.

use std::sync::Arc;
use std::time::Duration;

use detectviz::{Labels, Sample, SeriesKey};
use ingest::{Precision, SeriesWindow, SeriesWindowConfig, parse_batch};

const DAY_MS: i64 = 86_400_000;

fn window(samples_per_series: usize, max_series: usize) -> SeriesWindow {
    SeriesWindow::new(SeriesWindowConfig {
        samples_per_series,
        max_series,
    })
}

fn key(measurement: &str, tags: &[(&str, &str)], field: &str) -> SeriesKey {
    SeriesKey {
        measurement: measurement.into(),
        tags: tags.iter().copied().collect::<Labels>(),
        field: field.into(),
    }
}

fn insert_lines(window: &SeriesWindow, body: &str) {
    let batch = parse_batch(body, Precision::Milliseconds, 0);
    assert_eq!(batch.first_error, None);
    window.insert_points(&batch.points);
}

#[test]
fn keeps_the_last_samples_per_series_oldest_first() {
    let window = window(3, 10);
    insert_lines(
        &window,
        "cpu,host=a v=1 1\ncpu,host=a v=2 2\ncpu,host=a v=3 3\ncpu,host=a v=4 4\n",
    );
    assert_eq!(
        window.recent(&key("cpu", &[("host", "a")], "v")),
        vec![(2, 2.0), (3, 3.0), (4, 4.0)]
    );
    assert_eq!(window.series_count(), 1);
}

#[test]
fn each_numeric_field_is_its_own_series_and_strings_are_skipped() {
    let window = window(60, 10);
    insert_lines(&window, "m,t=x f=1.5,i=2i,b=true,s=\"no\" 10\n");
    assert_eq!(window.series_count(), 3);
    assert_eq!(
        window.recent(&key("m", &[("t", "x")], "b")),
        vec![(10, 1.0)]
    );
    assert!(window.recent(&key("m", &[("t", "x")], "s")).is_empty());
    assert!(window.recent(&key("m", &[("t", "y")], "f")).is_empty());
}

#[test]
fn same_timestamp_replaces_and_out_of_order_reads_sorted() {
    let window = window(5, 10);
    insert_lines(&window, "m v=1 10\nm v=2 10\nm v=3 5\n");
    assert_eq!(
        window.recent(&key("m", &[], "v")),
        vec![(5, 3.0), (10, 2.0)]
    );
}

#[test]
fn timestamps_far_apart_keep_what_fits_in_the_compact_range() {
    let window = window(5, 10);
    let series = key("m", &[], "v");
    let sample = |timestamp_ms: i64, value: f64| Sample {
        series: series.clone(),
        timestamp_ms,
        value,
    };
    window.insert_samples(&[sample(10 * DAY_MS, 1.0), sample(9 * DAY_MS, 2.0)]);
    assert_eq!(
        window.recent(&series),
        vec![(9 * DAY_MS, 2.0), (10 * DAY_MS, 1.0)]
    );
    window.insert_samples(&[sample(100 * DAY_MS, 3.0)]);
    assert_eq!(window.recent(&series), vec![(100 * DAY_MS, 3.0)]);
    window.insert_samples(&[sample(-5, 4.0)]);
    assert_eq!(window.recent(&series), vec![(-5, 4.0)]);
}

#[test]
fn full_window_evicts_the_least_recently_updated_series() {
    let window = window(4, 3);
    insert_lines(&window, "a v=1 1\nb v=1 1\nc v=1 1\na v=2 2\n");
    insert_lines(&window, "d v=1 1\n");
    assert_eq!(window.series_count(), 3);
    let mut measurements: Vec<String> = window
        .series_keys()
        .into_iter()
        .map(|series| series.measurement)
        .collect();
    measurements.sort();
    assert_eq!(measurements, vec!["a", "c", "d"]);
}

#[test]
fn evict_stale_drops_series_without_recent_updates() {
    let window = window(4, 10);
    insert_lines(&window, "old v=1 1\n");
    std::thread::sleep(Duration::from_millis(1100));
    insert_lines(&window, "new v=1 1\n");
    assert_eq!(window.evict_stale(Duration::from_secs(3600)), 0);
    assert_eq!(window.evict_stale(Duration::from_secs(1)), 1);
    let keys = window.series_keys();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].measurement, "new");
    assert_eq!(window.evict_stale(Duration::ZERO), 1);
    assert_eq!(window.series_count(), 0);
}

#[test]
fn series_keys_round_trip_escapes_and_unicode() {
    let window = window(4, 10);
    insert_lines(
        &window,
        "my\\ m\\,x,tag\\ k\\=y=v\\,a\\ l,機台=一號 fi\\ eld\\==1 1\n",
    );
    let expected = key(
        "my m,x",
        &[("tag k=y", "v,a l"), ("機台", "一號")],
        "fi eld=",
    );
    assert_eq!(window.series_keys(), vec![expected.clone()]);
    let samples = window.recent_samples(&expected);
    assert_eq!(samples.len(), 1);
    assert_eq!(samples[0].series, expected);
    assert_eq!(samples[0].value, 1.0);
}

#[test]
fn memory_per_series_at_60_samples_is_at_most_one_kibibyte() {
    let window = window(60, 10_000);
    let mut body = String::new();
    for timestamp in 0..60 {
        for host in 0..2_000 {
            body.push_str(&format!(
                "cpu,host=host-{host:05},region=eu-west usage_idle={host}.5 {timestamp}\n"
            ));
        }
    }
    insert_lines(&window, &body);
    assert_eq!(window.series_count(), 2_000);
    assert_eq!(
        window
            .recent(&key(
                "cpu",
                &[("host", "host-00007"), ("region", "eu-west")],
                "usage_idle"
            ))
            .len(),
        60
    );
    let bytes_per_series = window.approximate_memory_bytes() / window.series_count();
    assert!(
        bytes_per_series > 60 * 12,
        "{bytes_per_series} is below the samples alone"
    );
    assert!(
        bytes_per_series <= 1024,
        "{bytes_per_series} bytes per series"
    );
}

#[test]
fn concurrent_writers_and_readers_see_every_series() {
    let window = Arc::new(window(8, 100_000));
    let writers: Vec<_> = (0..4)
        .map(|writer| {
            let window = Arc::clone(&window);
            std::thread::spawn(move || {
                for series in 0..2_000 {
                    let line = format!("m,writer={writer},series={series} v={series} 1\n");
                    insert_lines(&window, &line);
                    let _ = window.recent(&key("m", &[("writer", "0"), ("series", "0")], "v"));
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().unwrap();
    }
    assert_eq!(window.series_count(), 8_000);
}

#[test]
fn a_sharded_window_holds_exactly_max_series_before_evicting() {
    let window = window(2, 5_000);
    let body: String = (0..5_000)
        .map(|series| format!("m,s={series} v=1 1\n"))
        .collect();
    insert_lines(&window, &body);
    assert_eq!(
        window.series_count(),
        5_000,
        "every series fits until the window is full"
    );
    insert_lines(&window, "m,s=new v=1 2\n");
    let count = window.series_count();
    assert!(
        (4_900..=5_000).contains(&count),
        "{count} series after eviction"
    );
    assert_eq!(
        window.recent(&key("m", &[("s", "new")], "v")),
        vec![(2, 1.0)]
    );
    // Eviction takes the least recently updated series of the new series' shard.
    let recent_all_kept = (4_000..5_000).all(|series| {
        !window
            .recent(&key("m", &[("s", &series.to_string())], "v"))
            .is_empty()
    });
    assert!(recent_all_kept, "only old series are evicted");
}

#[tokio::test]
async fn the_stale_eviction_task_empties_a_window_that_stopped_receiving() {
    let window = Arc::new(window(4, 10));
    insert_lines(&window, "m v=1 1\n");
    let task = SeriesWindow::spawn_stale_eviction(
        Arc::clone(&window),
        Duration::from_millis(20),
        Duration::ZERO,
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while window.series_count() > 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    task.abort();
    assert_eq!(window.series_count(), 0);
}
