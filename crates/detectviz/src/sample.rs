//! Samples: one numeric value of one series at one time, what ingest hands the alert engine.

use serde::{Deserialize, Serialize};

use crate::Labels;

/// Identifies a series: measurement + tag set + field (as InfluxDB and Telegraf see it).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SeriesKey {
    pub measurement: String,
    pub tags: Labels,
    pub field: String,
}

impl std::fmt::Display for SeriesKey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            formatter,
            "{}.{}{}",
            self.measurement, self.field, self.tags
        )
    }
}

/// One numeric observation. Booleans arrive as 0 and 1; strings are not samples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    pub series: SeriesKey,
    /// Unix time in milliseconds.
    pub timestamp_ms: i64,
    pub value: f64,
}
