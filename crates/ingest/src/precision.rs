//! Timestamp precision of a write (`precision=` query parameter) and the conversion of a
//! timestamp in that precision into nanoseconds within InfluxDB's valid range.

/// The smallest timestamp InfluxDB accepts, in nanoseconds (`math.MinInt64 + 2`).
pub const MIN_TIMESTAMP_NS: i64 = i64::MIN + 2;
/// The largest timestamp InfluxDB accepts, in nanoseconds (`math.MaxInt64 - 1`).
pub const MAX_TIMESTAMP_NS: i64 = i64::MAX - 1;

/// The unit of the timestamps in a batch. InfluxDB 1.x also accepts minutes and hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Precision {
    #[default]
    Nanoseconds,
    Microseconds,
    Milliseconds,
    Seconds,
    Minutes,
    Hours,
}

/// A `precision` query parameter that names no known unit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown precision {0:?}: use ns, us, ms or s (/write also accepts n, u, m and h)")]
pub struct UnknownPrecision(pub String);

impl Precision {
    /// Parses the `precision` query parameter of `/write` (1.x: n, ns, u, us, ms, s, m, h) and
    /// `/api/v2/write` (ns, us, ms, s). An absent or empty parameter means nanoseconds.
    pub fn from_query_parameter(parameter: Option<&str>) -> Result<Precision, UnknownPrecision> {
        let Some(parameter) = parameter else {
            return Ok(Precision::Nanoseconds);
        };
        match parameter {
            "" | "n" | "ns" => Ok(Precision::Nanoseconds),
            "u" | "us" | "µ" | "µs" => Ok(Precision::Microseconds),
            "ms" => Ok(Precision::Milliseconds),
            "s" => Ok(Precision::Seconds),
            "m" => Ok(Precision::Minutes),
            "h" => Ok(Precision::Hours),
            other => Err(UnknownPrecision(other.to_owned())),
        }
    }

    /// Parses the `precision` query parameter of `/api/v2/write`, which knows only ns, us, ms
    /// and s (absent means nanoseconds).
    pub fn from_v2_query_parameter(parameter: Option<&str>) -> Result<Precision, UnknownPrecision> {
        match parameter {
            None | Some("ns") => Ok(Precision::Nanoseconds),
            Some("us") => Ok(Precision::Microseconds),
            Some("ms") => Ok(Precision::Milliseconds),
            Some("s") => Ok(Precision::Seconds),
            Some(other) => Err(UnknownPrecision(other.to_owned())),
        }
    }

    /// Nanoseconds in one unit of this precision.
    pub fn nanoseconds_per_unit(self) -> i64 {
        match self {
            Precision::Nanoseconds => 1,
            Precision::Microseconds => 1_000,
            Precision::Milliseconds => 1_000_000,
            Precision::Seconds => 1_000_000_000,
            Precision::Minutes => 60 * 1_000_000_000,
            Precision::Hours => 3_600 * 1_000_000_000,
        }
    }

    /// Converts a timestamp in this precision to nanoseconds; `None` when the result falls
    /// outside InfluxDB's range.
    pub fn to_nanoseconds(self, timestamp: i64) -> Option<i64> {
        let nanoseconds = timestamp.checked_mul(self.nanoseconds_per_unit())?;
        is_timestamp_in_range(nanoseconds).then_some(nanoseconds)
    }
}

/// Whether a nanosecond timestamp lies in InfluxDB's accepted range.
pub fn is_timestamp_in_range(timestamp_ns: i64) -> bool {
    (MIN_TIMESTAMP_NS..=MAX_TIMESTAMP_NS).contains(&timestamp_ns)
}

/// The current time in nanoseconds since the Unix epoch, the default for lines without one.
pub fn now_ns() -> i64 {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since_epoch.as_nanos()).unwrap_or(MAX_TIMESTAMP_NS)
}
