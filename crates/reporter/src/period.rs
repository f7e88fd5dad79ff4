//! Report kinds and the period each covers, in the site's time (a fixed UTC offset).

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::ReporterError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    /// The previous day, midnight to midnight.
    Daily,
    /// The previous week, Monday 00:00 to Monday 00:00.
    Weekly,
    /// Any period asked for through the API.
    OnDemand,
}

impl ReportKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReportKind::Daily => "daily",
            ReportKind::Weekly => "weekly",
            ReportKind::OnDemand => "on_demand",
        }
    }
}

/// `from_ms <= t < to_ms`, unix milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub from_ms: i64,
    pub to_ms: i64,
}

/// The longest on-demand period: a year.
pub const MAX_PERIOD_MS: i64 = 366 * 24 * 3_600_000;

impl Period {
    pub fn new(from_ms: i64, to_ms: i64) -> Result<Period, ReporterError> {
        if to_ms <= from_ms {
            return Err(ReporterError::InvalidRequest(format!(
                "period: to ({to_ms}) must be after from ({from_ms})"
            )));
        }
        if to_ms - from_ms > MAX_PERIOD_MS {
            return Err(ReporterError::InvalidRequest(
                "period: longer than 366 days".to_string(),
            ));
        }
        Ok(Period { from_ms, to_ms })
    }

    pub fn length_ms(self) -> i64 {
        self.to_ms - self.from_ms
    }

    /// The last complete day or week before `now` in the site's time.
    pub fn previous(kind: ReportKind, now: DateTime<Utc>, offset: FixedOffset) -> Period {
        let local_now = now.with_timezone(&offset);
        let today = local_now.date_naive();
        let (start_day, days) = match kind {
            ReportKind::Weekly => {
                let monday =
                    today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
                (monday - Duration::days(7), 7)
            }
            ReportKind::Daily | ReportKind::OnDemand => (today - Duration::days(1), 1),
        };
        let start = offset
            .from_local_datetime(&start_day.and_time(NaiveTime::MIN))
            .single()
            .expect("a fixed offset has no gaps");
        let from_ms = start.timestamp_millis();
        Period {
            from_ms,
            to_ms: from_ms + days * 24 * 3_600_000,
        }
    }
}

/// A fixed offset from minutes east of UTC (validated to ±14 h by the config).
pub fn offset_from_minutes(minutes: i32) -> FixedOffset {
    FixedOffset::east_opt(minutes * 60).unwrap_or_else(|| FixedOffset::east_opt(0).expect("0"))
}

/// `2026-11-24 07:00` in the site's time.
pub fn format_local(at_ms: i64, offset: FixedOffset) -> String {
    match DateTime::<Utc>::from_timestamp_millis(at_ms) {
        Some(at) => at
            .with_timezone(&offset)
            .format("%Y-%m-%d %H:%M")
            .to_string(),
        None => at_ms.to_string(),
    }
}

/// `UTC+08:00`
pub fn format_offset(offset: FixedOffset) -> String {
    format!("UTC{offset}")
}
