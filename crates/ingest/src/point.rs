//! A point as InfluxDB sees it (measurement, sorted tags, typed fields, nanosecond timestamp),
//! and its conversion into the numeric `detectviz::Sample`s the alert engine reads.

use detectviz::{Labels, Sample, SeriesKey};

/// One field value, typed as line protocol types it.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    Float(f64),
    Integer(i64),
    Unsigned(u64),
    Boolean(bool),
    String(String),
}

impl FieldValue {
    /// The value as a sample value: numbers as `f64`, booleans as 0 and 1, strings as `None`.
    pub fn as_sample_value(&self) -> Option<f64> {
        match self {
            FieldValue::Float(value) => Some(*value),
            FieldValue::Integer(value) => Some(*value as f64),
            FieldValue::Unsigned(value) => Some(*value as f64),
            FieldValue::Boolean(value) => Some(if *value { 1.0 } else { 0.0 }),
            FieldValue::String(_) => None,
        }
    }
}

/// One line of line protocol (or one Telegraf JSON metric) after parsing.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub measurement: String,
    /// Tag pairs sorted by key, keys unique.
    pub tags: Vec<(String, String)>,
    /// Field pairs in arrival order, keys unique (a repeated key keeps its last value).
    pub fields: Vec<(String, FieldValue)>,
    /// Unix time in nanoseconds.
    pub timestamp_ns: i64,
}

impl Point {
    /// The tags as a `detectviz::Labels` set.
    pub fn labels(&self) -> Labels {
        self.tags
            .iter()
            .map(|(key, value)| (key.as_str(), value.as_str()))
            .collect()
    }

    /// Timestamp in milliseconds, rounded towards negative infinity.
    pub fn timestamp_ms(&self) -> i64 {
        self.timestamp_ns.div_euclid(1_000_000)
    }

    /// One sample per numeric field (float, integer, unsigned, boolean as 0/1); strings are skipped.
    pub fn samples(&self) -> Vec<Sample> {
        let labels = self.labels();
        let timestamp_ms = self.timestamp_ms();
        self.fields
            .iter()
            .filter_map(|(field_key, field_value)| {
                let value = field_value.as_sample_value()?;
                Some(Sample {
                    series: SeriesKey {
                        measurement: self.measurement.clone(),
                        tags: labels.clone(),
                        field: field_key.clone(),
                    },
                    timestamp_ms,
                    value,
                })
            })
            .collect()
    }

    /// How many numeric fields (samples) this point carries.
    pub fn numeric_field_count(&self) -> usize {
        self.fields
            .iter()
            .filter(|(_, value)| value.as_sample_value().is_some())
            .count()
    }
}

/// Sorts tags by key and rejects a repeated key; returns the repeated key on failure.
pub(crate) fn sort_tags_rejecting_duplicates<K: Ord + AsRef<str>, V>(
    tags: &mut [(K, V)],
) -> Result<(), String> {
    if tags.len() < 2 {
        return Ok(());
    }
    tags.sort_unstable_by(|left, right| left.0.cmp(&right.0));
    for pair in tags.windows(2) {
        if pair[0].0 == pair[1].0 {
            return Err(pair[0].0.as_ref().to_owned());
        }
    }
    Ok(())
}

/// Removes repeated field keys, keeping each key at its first position with its last value
/// (last wins, as InfluxDB does). Linear for the usual handful of fields, hashed for many.
pub(crate) fn dedupe_fields_last_wins<K: Eq + std::hash::Hash + Clone, V>(
    fields: &mut Vec<(K, V)>,
) {
    const LINEAR_SCAN_LIMIT: usize = 32;
    if fields.len() < 2 {
        return;
    }
    if fields.len() <= LINEAR_SCAN_LIMIT {
        let has_repeated_key = (1..fields.len()).any(|index| {
            fields[..index]
                .iter()
                .any(|(key, _)| *key == fields[index].0)
        });
        if !has_repeated_key {
            return;
        }
        let mut kept: Vec<(K, V)> = Vec::with_capacity(fields.len());
        for (key, value) in fields.drain(..) {
            match kept.iter_mut().find(|(kept_key, _)| *kept_key == key) {
                Some(existing) => existing.1 = value,
                None => kept.push((key, value)),
            }
        }
        *fields = kept;
        return;
    }
    let mut position_by_key: std::collections::HashMap<K, usize> =
        std::collections::HashMap::with_capacity(fields.len());
    let mut kept: Vec<(K, V)> = Vec::with_capacity(fields.len());
    for (key, value) in fields.drain(..) {
        match position_by_key.get(&key) {
            Some(&position) => kept[position].1 = value,
            None => {
                position_by_key.insert(key.clone(), kept.len());
                kept.push((key, value));
            }
        }
    }
    *fields = kept;
}
