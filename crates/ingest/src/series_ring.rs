//! The recent samples of one series in a fixed-size ring: `f64` values and `u32` millisecond
//! offsets from a per-series base time (12 bytes a sample instead of 16).

/// Bytes the ring allocates on the heap for each sample slot.
pub(crate) const HEAP_BYTES_PER_SLOT: usize =
    std::mem::size_of::<f64>() + std::mem::size_of::<u32>();

pub(crate) struct SeriesRing {
    /// Unix milliseconds that offset 0 stands for.
    base_ms: i64,
    offsets_ms: Box<[u32]>,
    values: Box<[f64]>,
    /// Index of the oldest sample.
    head: u16,
    len: u16,
    /// Shard-wide insertion counter at the last update (larger is more recent).
    pub(crate) last_update_sequence: u64,
    /// Seconds since the window started at the last update.
    pub(crate) last_update_second: u32,
}

impl SeriesRing {
    pub(crate) fn new(capacity: u16) -> SeriesRing {
        let slots = usize::from(capacity.max(1));
        SeriesRing {
            base_ms: 0,
            offsets_ms: vec![0; slots].into_boxed_slice(),
            values: vec![0.0; slots].into_boxed_slice(),
            head: 0,
            len: 0,
            last_update_sequence: 0,
            last_update_second: 0,
        }
    }

    pub(crate) fn capacity(&self) -> usize {
        self.values.len()
    }

    /// Adds a sample; the oldest one is overwritten when the ring is full. A sample with the
    /// same timestamp as the newest one replaces its value.
    pub(crate) fn push(&mut self, timestamp_ms: i64, value: f64) {
        if self.len == 0 {
            self.base_ms = timestamp_ms;
        }
        if let Some((newest_timestamp_ms, _)) = self.newest()
            && newest_timestamp_ms == timestamp_ms
        {
            let newest_index = self.slot_index(usize::from(self.len) - 1);
            self.values[newest_index] = value;
            return;
        }
        let Some(offset_ms) = self.offset_of(timestamp_ms) else {
            self.rebase_and_push(timestamp_ms, value);
            return;
        };
        let capacity = self.capacity();
        let write_index = if usize::from(self.len) < capacity {
            self.len += 1;
            self.slot_index(usize::from(self.len) - 1)
        } else {
            let oldest_index = usize::from(self.head);
            self.head = ((oldest_index + 1) % capacity) as u16;
            oldest_index
        };
        self.offsets_ms[write_index] = offset_ms;
        self.values[write_index] = value;
    }

    /// The samples as `(timestamp_ms, value)`, oldest first by timestamp.
    pub(crate) fn samples(&self) -> Vec<(i64, f64)> {
        let mut samples: Vec<(i64, f64)> = (0..usize::from(self.len))
            .map(|position| {
                let index = self.slot_index(position);
                (self.timestamp_at(index), self.values[index])
            })
            .collect();
        samples.sort_by_key(|(timestamp_ms, _)| *timestamp_ms);
        samples
    }

    fn newest(&self) -> Option<(i64, f64)> {
        let newest_position = usize::from(self.len).checked_sub(1)?;
        let index = self.slot_index(newest_position);
        Some((self.timestamp_at(index), self.values[index]))
    }

    fn slot_index(&self, position: usize) -> usize {
        (usize::from(self.head) + position) % self.capacity()
    }

    fn timestamp_at(&self, index: usize) -> i64 {
        self.base_ms + i64::from(self.offsets_ms[index])
    }

    fn offset_of(&self, timestamp_ms: i64) -> Option<u32> {
        let delta = timestamp_ms.checked_sub(self.base_ms)?;
        u32::try_from(delta).ok()
    }

    /// Slow path for a sample before the base time or more than ~49 days after it: keep the
    /// samples that fit in a u32 range around the new one, re-expressed from a new base.
    fn rebase_and_push(&mut self, timestamp_ms: i64, value: f64) {
        let reach = i64::from(u32::MAX);
        let kept: Vec<(i64, f64)> = self
            .samples()
            .into_iter()
            .filter(|(kept_timestamp_ms, _)| {
                kept_timestamp_ms.abs_diff(timestamp_ms) <= reach as u64
            })
            .collect();
        let lowest_kept = kept
            .iter()
            .map(|(kept_timestamp_ms, _)| *kept_timestamp_ms)
            .min();
        let new_base_ms = lowest_kept.map_or(timestamp_ms, |lowest| lowest.min(timestamp_ms));
        self.head = 0;
        self.len = 0;
        self.base_ms = new_base_ms;
        let mut ordered = kept;
        ordered.push((timestamp_ms, value));
        ordered.sort_by_key(|(sample_timestamp_ms, _)| *sample_timestamp_ms);
        for (sample_timestamp_ms, sample_value) in ordered {
            // Still a span above u32 between the lowest kept and the newest: drop the oldest.
            if self.offset_of(sample_timestamp_ms).is_none() {
                continue;
            }
            self.push(sample_timestamp_ms, sample_value);
        }
    }
}
