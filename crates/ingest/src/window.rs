//! `SeriesWindow`: the last N samples of every series (measurement + tag set + field) in
//! memory, for the alert engine. Bounded in samples per series and in series count: when a
//! shard is full its least recently updated series are evicted, and `evict_stale` drops series
//! that stopped reporting.
//!
//! Memory: a series is one `Box<str>` key in line-protocol form (`cpu,host=a usage_idle`) and a
//! ring of `f64` values with `u32` millisecond offsets, about 0.9 KiB at 60 samples. The window
//! is split into shards, each a `Mutex<HashMap>`, so concurrent writers rarely contend.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use detectviz::{Labels, Sample, SeriesKey};

use crate::line_protocol_writer::{append_series_field, series_key_text, write_series_prefix};
use crate::point::Point;
use crate::point_ref::PointRef;
use crate::precision::Precision;
use crate::series_ring::{HEAP_BYTES_PER_SLOT, SeriesRing};

/// Bytes an allocator adds to every heap block (bookkeeping and rounding), for the estimate.
const ALLOCATION_OVERHEAD_BYTES: usize = 16;
/// Up to this many shards; small windows use fewer so each shard holds a useful share.
const MAX_SHARD_COUNT: usize = 16;
const MIN_SERIES_PER_SHARD: usize = 1024;

/// Sizes of the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeriesWindowConfig {
    /// Samples kept per series (at most 65,535).
    pub samples_per_series: usize,
    /// Series kept in all. When full, a new series first evicts the least recently updated
    /// series of its own shard (a small batch of them, so the scan is paid rarely).
    pub max_series: usize,
}

impl Default for SeriesWindowConfig {
    fn default() -> Self {
        SeriesWindowConfig {
            samples_per_series: 60,
            max_series: 100_000,
        }
    }
}

struct Shard {
    series_by_key: HashMap<Box<str>, SeriesRing>,
    key_bytes: usize,
    next_update_sequence: u64,
}

/// Recent samples of many series, safe to share between threads (`Arc<SeriesWindow>`).
pub struct SeriesWindow {
    shards: Box<[Mutex<Shard>]>,
    samples_per_series: u16,
    max_series: usize,
    series_total: AtomicUsize,
    eviction_batch: usize,
    started: Instant,
}

impl SeriesWindow {
    pub fn new(config: SeriesWindowConfig) -> SeriesWindow {
        let max_series = config.max_series.max(1);
        let shard_count = (max_series / MIN_SERIES_PER_SHARD).clamp(1, MAX_SHARD_COUNT);
        let shards = (0..shard_count)
            .map(|_| {
                Mutex::new(Shard {
                    series_by_key: HashMap::new(),
                    key_bytes: 0,
                    next_update_sequence: 0,
                })
            })
            .collect();
        SeriesWindow {
            shards,
            samples_per_series: u16::try_from(config.samples_per_series.max(1)).unwrap_or(u16::MAX),
            max_series,
            series_total: AtomicUsize::new(0),
            eviction_batch: (max_series / shard_count / 64).max(1),
            started: Instant::now(),
        }
    }

    /// Adds every numeric field of every point (strings are skipped), then updates the
    /// series and memory gauges.
    pub fn insert_points(&self, points: &[Point]) {
        let mut key = String::with_capacity(128);
        for point in points {
            let tags = point
                .tags
                .iter()
                .map(|(tag_key, tag_value)| (tag_key.as_str(), tag_value.as_str()));
            let fields = point.fields.iter().map(|(field_key, field_value)| {
                (field_key.as_str(), field_value.as_sample_value())
            });
            self.insert_fields(
                &point.measurement,
                tags,
                fields,
                point.timestamp_ms(),
                &mut key,
            );
        }
        self.publish_gauges();
    }

    /// Adds every numeric field of a borrowed point (the fast path from
    /// [`crate::parse_batch_visit`]). Gauges are not updated: call
    /// [`SeriesWindow::publish_gauges`] once per batch.
    pub fn insert_point_ref(&self, point: &PointRef<'_>) {
        let mut key = String::with_capacity(128);
        let tags = point
            .tags
            .iter()
            .map(|(tag_key, tag_value)| (tag_key.as_ref(), tag_value.as_ref()));
        let fields = point
            .fields
            .iter()
            .map(|(field_key, field_value)| (field_key.as_ref(), field_value.as_sample_value()));
        self.insert_fields(
            &point.measurement,
            tags,
            fields,
            point.timestamp_ms(),
            &mut key,
        );
    }

    fn insert_fields<'t>(
        &self,
        measurement: &str,
        tags: impl IntoIterator<Item = (&'t str, &'t str)>,
        fields: impl IntoIterator<Item = (&'t str, Option<f64>)>,
        timestamp_ms: i64,
        key: &mut String,
    ) {
        key.clear();
        write_series_prefix(measurement, tags, key);
        let prefix_length = key.len();
        for (field_key, sample_value) in fields {
            let Some(value) = sample_value else {
                continue;
            };
            key.truncate(prefix_length);
            append_series_field(field_key, key);
            self.insert_one(key, timestamp_ms, value);
        }
    }

    /// Adds samples.
    pub fn insert_samples(&self, samples: &[Sample]) {
        for sample in samples {
            let key = series_key_text(&sample.series);
            self.insert_one(&key, sample.timestamp_ms, sample.value);
        }
        self.publish_gauges();
    }

    fn insert_one(&self, key: &str, timestamp_ms: i64, value: f64) {
        let second = self.seconds_since_start();
        let mut shard = self.lock_shard_of(key);
        shard.next_update_sequence += 1;
        let sequence = shard.next_update_sequence;
        if let Some(ring) = shard.series_by_key.get_mut(key) {
            ring.push(timestamp_ms, value);
            ring.last_update_sequence = sequence;
            ring.last_update_second = second;
            return;
        }
        if self.series_total.load(Ordering::Relaxed) >= self.max_series {
            let evicted = evict_least_recently_updated(&mut shard, self.eviction_batch);
            self.series_total.fetch_sub(evicted, Ordering::Relaxed);
            metrics::counter!("detectviz_ingest_window_evicted_series_total", "reason" => "full")
                .increment(evicted as u64);
        }
        self.series_total.fetch_add(1, Ordering::Relaxed);
        let mut ring = SeriesRing::new(self.samples_per_series);
        ring.push(timestamp_ms, value);
        ring.last_update_sequence = sequence;
        ring.last_update_second = second;
        shard.key_bytes += key.len();
        shard.series_by_key.insert(key.into(), ring);
    }

    /// The recent samples of a series as `(timestamp_ms, value)`, oldest first; empty when the
    /// series is unknown.
    pub fn recent(&self, series: &SeriesKey) -> Vec<(i64, f64)> {
        let key = series_key_text(series);
        let shard = self.lock_shard_of(&key);
        shard
            .series_by_key
            .get(key.as_str())
            .map(SeriesRing::samples)
            .unwrap_or_default()
    }

    /// The recent samples of a series as `Sample`s, oldest first.
    pub fn recent_samples(&self, series: &SeriesKey) -> Vec<Sample> {
        self.recent(series)
            .into_iter()
            .map(|(timestamp_ms, value)| Sample {
                series: series.clone(),
                timestamp_ms,
                value,
            })
            .collect()
    }

    /// Every series currently held (in no particular order).
    pub fn series_keys(&self) -> Vec<SeriesKey> {
        let mut keys = Vec::with_capacity(self.series_count());
        for shard in self.shards.iter() {
            let shard = lock(shard);
            keys.extend(
                shard
                    .series_by_key
                    .keys()
                    .filter_map(|key| parse_series_key_text(key)),
            );
        }
        keys
    }

    pub fn series_count(&self) -> usize {
        self.shards
            .iter()
            .map(|shard| lock(shard).series_by_key.len())
            .sum()
    }

    /// Estimated heap and table bytes held by the window (keys, rings, hash tables and the
    /// allocator's per-block overhead).
    pub fn approximate_memory_bytes(&self) -> usize {
        let entry_bytes = std::mem::size_of::<(Box<str>, SeriesRing)>() + 1;
        let ring_heap_bytes = usize::from(self.samples_per_series) * HEAP_BYTES_PER_SLOT
            + 3 * ALLOCATION_OVERHEAD_BYTES;
        self.shards
            .iter()
            .map(|shard| {
                let shard = lock(shard);
                shard.series_by_key.capacity() * entry_bytes
                    + shard.key_bytes
                    + shard.series_by_key.len() * ring_heap_bytes
            })
            .sum::<usize>()
            + std::mem::size_of::<SeriesWindow>()
    }

    /// Drops series without an update for `older_than` or longer (whole seconds: the window
    /// keeps update times to the second); returns how many.
    pub fn evict_stale(&self, older_than: Duration) -> usize {
        let now_second = self.seconds_since_start();
        let older_than_seconds = u32::try_from(older_than.as_secs()).unwrap_or(u32::MAX);
        let mut evicted = 0;
        for shard in self.shards.iter() {
            let mut shard = lock(shard);
            let before = shard.series_by_key.len();
            let mut removed_key_bytes = 0;
            shard.series_by_key.retain(|key, ring| {
                let idle_seconds = now_second.saturating_sub(ring.last_update_second);
                let keep = idle_seconds < older_than_seconds;
                if !keep {
                    removed_key_bytes += key.len();
                }
                keep
            });
            shard.key_bytes -= removed_key_bytes;
            let evicted_here = before - shard.series_by_key.len();
            self.series_total.fetch_sub(evicted_here, Ordering::Relaxed);
            evicted += evicted_here;
        }
        metrics::counter!("detectviz_ingest_window_evicted_series_total", "reason" => "stale")
            .increment(evicted as u64);
        self.publish_gauges();
        evicted
    }

    /// Runs [`SeriesWindow::evict_stale`] every `interval` on the current Tokio runtime until
    /// the returned task is aborted.
    pub fn spawn_stale_eviction(
        window: Arc<SeriesWindow>,
        interval: Duration,
        older_than: Duration,
    ) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(interval);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticker.tick().await;
                let evicted = window.evict_stale(older_than);
                if evicted > 0 {
                    tracing::debug!(evicted, "evicted stale series from the window");
                }
            }
        })
    }

    fn seconds_since_start(&self) -> u32 {
        u32::try_from(self.started.elapsed().as_secs()).unwrap_or(u32::MAX)
    }

    fn lock_shard_of(&self, key: &str) -> std::sync::MutexGuard<'_, Shard> {
        let shard_index = (fnv1a_hash(key.as_bytes()) % self.shards.len() as u64) as usize;
        lock(&self.shards[shard_index])
    }

    /// Sets `detectviz_ingest_window_series` and `detectviz_ingest_window_memory_bytes`.
    pub fn publish_gauges(&self) {
        metrics::gauge!("detectviz_ingest_window_series").set(self.series_count() as f64);
        metrics::gauge!("detectviz_ingest_window_memory_bytes")
            .set(self.approximate_memory_bytes() as f64);
    }
}

/// Removes the `evict_count` least recently updated series of a shard; returns how many went.
fn evict_least_recently_updated(shard: &mut Shard, evict_count: usize) -> usize {
    let mut sequences: Vec<u64> = shard
        .series_by_key
        .values()
        .map(|ring| ring.last_update_sequence)
        .collect();
    if sequences.is_empty() {
        return 0;
    }
    let before = shard.series_by_key.len();
    let cut_index = evict_count.min(sequences.len()) - 1;
    let (_, &mut newest_evicted_sequence, _) = sequences.select_nth_unstable(cut_index);
    let mut removed_key_bytes = 0;
    shard.series_by_key.retain(|key, ring| {
        let keep = ring.last_update_sequence > newest_evicted_sequence;
        if !keep {
            removed_key_bytes += key.len();
        }
        keep
    });
    shard.key_bytes -= removed_key_bytes;
    before - shard.series_by_key.len()
}

/// Reads `measurement,tags field` back into a `SeriesKey` with the line protocol parser.
fn parse_series_key_text(key: &str) -> Option<SeriesKey> {
    let line = format!("{key}=0");
    let point = crate::line_protocol::parse_line(&line, Precision::Nanoseconds, 0).ok()??;
    let (field, _) = point.fields.into_iter().next()?;
    Some(SeriesKey {
        measurement: point.measurement,
        tags: point.tags.into_iter().collect::<Labels>(),
        field,
    })
}

fn lock(shard: &Mutex<Shard>) -> std::sync::MutexGuard<'_, Shard> {
    // A panic while holding the lock cannot leave a shard inconsistent in a way that matters
    // more than losing the window, so keep going with the data as it is.
    shard
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn fnv1a_hash(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}
