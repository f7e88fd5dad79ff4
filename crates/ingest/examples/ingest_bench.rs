//! Ingest benchmark (`make bench` via `bench/ingest.sh`; run it with `--release`).
//!
//! (a) Parses batches of 5,000 lines of line protocol over 100,000 series (50,000 tag sets of
//! Telegraf-like `cpu` lines with two fields each) and reports points (lines) per second of
//! wall time and CPU seconds per million points, single-threaded, for the zero-copy path
//! (`parse_batch_visit`); also into owned `Point`s, and with the points inserted into a
//! `SeriesWindow`. (b) Fills a window with 100,000 series at 60 samples
//! each and reports resident bytes per series (RSS growth) and the window's own estimate.
//! Prints one JSON line.

use std::time::Instant;

use ingest::{Precision, SeriesWindow, SeriesWindowConfig, parse_batch, parse_batch_visit};

const LINES_PER_BATCH: usize = 5_000;
const TAG_SETS: usize = 50_000;
const FIELDS_PER_LINE: usize = 2;
const SAMPLES_PER_SERIES: usize = 60;

fn main() -> anyhow::Result<()> {
    let rounds: usize = std::env::args()
        .nth(1)
        .map(|text| text.parse())
        .transpose()?
        .unwrap_or(40);
    // Memory first, on a fresh heap, so freed benchmark buffers cannot hide its growth.
    let (rss_bytes_per_series, estimated_bytes_per_series) = window_memory_per_series();
    let batches = build_batches(rounds);
    let total_lines = batches.len() * LINES_PER_BATCH;

    // Warm up once, then measure parsing alone: the zero-copy path the web layer uses.
    let warm_up = parse_batch(&batches[0], Precision::Nanoseconds, 0);
    assert_eq!(warm_up.accepted_lines, LINES_PER_BATCH);
    let (parse_wall_s, parse_cpu_s, parsed_lines) = measure(|| {
        let mut lines = 0;
        for batch in &batches {
            let summary = parse_batch_visit(batch, Precision::Nanoseconds, 0, |point| {
                std::hint::black_box(point);
            });
            lines += summary.accepted_lines;
        }
        lines
    });
    assert_eq!(parsed_lines, total_lines);

    // Parsing into owned `Point`s (what the forwarder buffers).
    let (owned_wall_s, owned_cpu_s, _) = measure(|| {
        for batch in &batches {
            std::hint::black_box(parse_batch(batch, Precision::Nanoseconds, 0));
        }
        0
    });

    let window = SeriesWindow::new(SeriesWindowConfig {
        samples_per_series: SAMPLES_PER_SERIES,
        max_series: TAG_SETS * FIELDS_PER_LINE,
    });
    let (ingest_wall_s, ingest_cpu_s, _) = measure(|| {
        for batch in &batches {
            parse_batch_visit(batch, Precision::Nanoseconds, 0, |point| {
                window.insert_point_ref(point);
            });
            window.publish_gauges();
        }
        0
    });
    drop(window);

    let million_lines = total_lines as f64 / 1e6;
    let our_cpu_s_per_million = parse_cpu_s / million_lines;
    let mut result: Vec<(&str, serde_json::Value)> = vec![
        ("bench", "ingest_parse".into()),
        ("points_per_s", whole(total_lines as f64 / parse_wall_s)),
        ("cpu_s_per_million_points", round4(our_cpu_s_per_million)),
        ("window_bytes_per_series_at_60", whole(rss_bytes_per_series)),
        (
            "window_estimated_bytes_per_series_at_60",
            whole(estimated_bytes_per_series),
        ),
        (
            "owned_points_per_s",
            whole(total_lines as f64 / owned_wall_s),
        ),
        (
            "owned_cpu_s_per_million_points",
            round4(owned_cpu_s / million_lines),
        ),
        (
            "parse_and_window_points_per_s",
            whole(total_lines as f64 / ingest_wall_s),
        ),
        (
            "parse_and_window_cpu_s_per_million_points",
            round4(ingest_cpu_s / million_lines),
        ),
        ("field_values_per_point", FIELDS_PER_LINE.into()),
        ("lines_per_batch", LINES_PER_BATCH.into()),
        ("series", (TAG_SETS * FIELDS_PER_LINE).into()),
        ("points", total_lines.into()),
    ];
    if let Some(peer) = measure_peer(&batches)? {
        result.push(("peer", "influxd /write (parse, index and store)".into()));
        result.push(("peer_points_per_s", whole(peer.points_per_s)));
        result.push((
            "peer_cpu_s_per_million_points",
            round4(peer.cpu_s_per_million),
        ));
        let ratio = peer.cpu_s_per_million / our_cpu_s_per_million;
        result.push(("peer_cpu_over_ours", round4(ratio)));
    }
    let members: Vec<String> = result
        .iter()
        .map(|(key, value)| format!("\"{key}\":{value}"))
        .collect();
    println!("{{{}}}", members.join(","));
    Ok(())
}

fn whole(value: f64) -> serde_json::Value {
    (value.round() as u64).into()
}

fn round4(value: f64) -> serde_json::Value {
    ((value * 1e4).round() / 1e4).into()
}

struct PeerFigures {
    points_per_s: f64,
    cpu_s_per_million: f64,
}

/// When `INGEST_BENCH_PEER_URL` and `INGEST_BENCH_PEER_PID` name a running influxd (started
/// by bench/ingest.sh), writes the first 40 batches to it and measures its CPU time.
fn measure_peer(batches: &[String]) -> anyhow::Result<Option<PeerFigures>> {
    let (Ok(url), Ok(pid)) = (
        std::env::var("INGEST_BENCH_PEER_URL"),
        std::env::var("INGEST_BENCH_PEER_PID"),
    ) else {
        return Ok(None);
    };
    let peer_batches = &batches[..batches.len().min(40)];
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let client = reqwest::Client::new();
    let write_url = format!("{url}/write?db=bench&precision=ns");
    let cpu_before = process_cpu_seconds(&pid)?;
    let started = Instant::now();
    runtime.block_on(async {
        for batch in peer_batches {
            let response = client.post(&write_url).body(batch.clone()).send().await?;
            anyhow::ensure!(
                response.status().as_u16() == 204,
                "influxd answered {}",
                response.status()
            );
        }
        anyhow::Ok(())
    })?;
    let wall_s = started.elapsed().as_secs_f64();
    let cpu_s = process_cpu_seconds(&pid)? - cpu_before;
    let points = (peer_batches.len() * LINES_PER_BATCH) as f64;
    Ok(Some(PeerFigures {
        points_per_s: points / wall_s,
        cpu_s_per_million: cpu_s / (points / 1e6),
    }))
}

/// User + system CPU seconds of a process, from `/proc/<pid>/stat` (100 ticks a second).
fn process_cpu_seconds(pid: &str) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let after_name = stat.rsplit(')').next().unwrap_or_default();
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |index: usize| fields.get(index).and_then(|text| text.parse::<f64>().ok());
    Ok((ticks(11).unwrap_or(0.0) + ticks(12).unwrap_or(0.0)) / 100.0)
}

/// `rounds` passes over every tag set, cut into batches of 5,000 lines, timestamps 10 s apart.
fn build_batches(rounds: usize) -> Vec<String> {
    let mut batches = Vec::new();
    let mut batch = String::with_capacity(LINES_PER_BATCH * 128);
    let mut lines_in_batch = 0;
    for round in 0..rounds {
        let timestamp_ns = 1_700_000_000_000_000_000_i64 + round as i64 * 10_000_000_000;
        for tag_set in 0..TAG_SETS {
            push_line(&mut batch, tag_set, round, timestamp_ns);
            lines_in_batch += 1;
            if lines_in_batch == LINES_PER_BATCH {
                batches.push(std::mem::replace(
                    &mut batch,
                    String::with_capacity(LINES_PER_BATCH * 128),
                ));
                lines_in_batch = 0;
            }
        }
    }
    batches
}

fn push_line(output: &mut String, tag_set: usize, round: usize, timestamp_ns: i64) {
    use std::fmt::Write as _;
    let host = tag_set / 8;
    let cpu = tag_set % 8;
    let usage = ((tag_set * 7 + round * 13) % 10_000) as f64 / 100.0;
    let _ = writeln!(
        output,
        "cpu,cpu=cpu{cpu},host=host-{host:05},region=eu-west usage_user={usage},usage_system={}i {timestamp_ns}",
        (tag_set + round) % 100
    );
}

/// Runs `work`, returning (wall seconds, CPU seconds of this thread, its result).
fn measure(work: impl FnOnce() -> usize) -> (f64, f64, usize) {
    let cpu_before = thread_cpu_seconds();
    let wall_start = Instant::now();
    let result = work();
    let wall_s = wall_start.elapsed().as_secs_f64();
    (wall_s, thread_cpu_seconds() - cpu_before, result)
}

/// CPU time of the calling thread from `/proc/thread-self/schedstat` (nanoseconds), falling
/// back to the process's user + system ticks in `/proc/self/stat`.
fn thread_cpu_seconds() -> f64 {
    if let Ok(schedstat) = std::fs::read_to_string("/proc/thread-self/schedstat")
        && let Some(Ok(nanoseconds)) = schedstat.split_whitespace().next().map(str::parse::<u64>)
    {
        return nanoseconds as f64 / 1e9;
    }
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_name = stat.rsplit(')').next().unwrap_or_default();
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |index: usize| fields.get(index).and_then(|text| text.parse::<f64>().ok());
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    (ticks(11).unwrap_or(0.0) + ticks(12).unwrap_or(0.0)) / 100.0
}

/// Fills a fresh window with 100,000 series × 60 samples, 5,000 lines at a time, and returns
/// (RSS growth per series, the window's own estimate per series).
fn window_memory_per_series() -> (f64, f64) {
    let series = TAG_SETS * FIELDS_PER_LINE;
    let rss_before = resident_bytes();
    let window = SeriesWindow::new(SeriesWindowConfig {
        samples_per_series: SAMPLES_PER_SERIES,
        max_series: series,
    });
    let mut chunk = String::with_capacity(LINES_PER_BATCH * 128);
    for round in 0..SAMPLES_PER_SERIES {
        let timestamp_ns = 1_700_000_000_000_000_000_i64 + round as i64 * 10_000_000_000;
        for first_tag_set in (0..TAG_SETS).step_by(LINES_PER_BATCH) {
            chunk.clear();
            for tag_set in first_tag_set..(first_tag_set + LINES_PER_BATCH).min(TAG_SETS) {
                push_line(&mut chunk, tag_set, round, timestamp_ns);
            }
            parse_batch_visit(&chunk, Precision::Nanoseconds, 0, |point| {
                window.insert_point_ref(point);
            });
        }
    }
    assert_eq!(window.series_count(), series);
    let rss_growth = resident_bytes().saturating_sub(rss_before) as f64;
    let estimate = window.approximate_memory_bytes() as f64;
    (rss_growth / series as f64, estimate / series as f64)
}

fn resident_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let resident_pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|text| text.parse().ok())
        .unwrap_or(0);
    resident_pages * 4096
}
