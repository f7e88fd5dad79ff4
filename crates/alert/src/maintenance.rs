//! Recurring maintenance windows: on given days of the week, between two local times, at a
//! fixed offset from UTC. A window whose end is not after its start runs past midnight into
//! the next day (`start == end` means 24 hours); the day listed is the day it starts.
//!
//! Local time is computed by arithmetic on Unix milliseconds (1970-01-01 was a Thursday), so
//! the check is pure. A fixed offset does not follow daylight saving time; IANA zone names are
//! not supported yet.

use chrono::Weekday;
use detectviz::Labels;
use serde::{Deserialize, Serialize};

use crate::matcher::all_match;
use crate::{AlertError, LabelMatcher};

const MINUTES_PER_DAY: i64 = 24 * 60;
const MILLISECONDS_PER_MINUTE: i64 = 60_000;

/// A time of day, `HH:MM` in text, minutes after midnight inside.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TimeOfDay {
    minutes_after_midnight: u16,
}

impl TimeOfDay {
    pub fn minutes_after_midnight(self) -> i64 {
        i64::from(self.minutes_after_midnight)
    }
}

impl TryFrom<String> for TimeOfDay {
    type Error = AlertError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        let invalid = || AlertError::InvalidMaintenanceWindow {
            window: String::new(),
            reason: format!("time `{text}` is not HH:MM (00:00 to 23:59)"),
        };
        let (hours, minutes) = text.split_once(':').ok_or_else(invalid)?;
        let hours: u16 = hours.parse().map_err(|_| invalid())?;
        let minutes: u16 = minutes.parse().map_err(|_| invalid())?;
        if hours > 23 || minutes > 59 {
            return Err(invalid());
        }
        Ok(TimeOfDay {
            minutes_after_midnight: hours * 60 + minutes,
        })
    }
}

impl From<TimeOfDay> for String {
    fn from(time: TimeOfDay) -> String {
        let minutes = time.minutes_after_midnight;
        format!("{:02}:{:02}", minutes / 60, minutes % 60)
    }
}

/// A weekly recurring window during which matching alerts are muted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaintenanceWindow {
    pub id: String,
    #[serde(default)]
    pub name: String,
    /// Days the window starts on (`mon`, `tuesday`, ...).
    pub days: Vec<Weekday>,
    pub start: TimeOfDay,
    pub end: TimeOfDay,
    /// Local time = UTC + this many minutes (Taipei: 480).
    #[serde(default)]
    pub utc_offset_minutes: i32,
    /// Which alerts the window mutes; an empty list mutes nothing.
    pub matchers: Vec<LabelMatcher>,
}

impl MaintenanceWindow {
    /// Whether the window is open at `now_ms`.
    pub fn is_active(&self, now_ms: i64) -> bool {
        let local_minutes =
            now_ms.div_euclid(MILLISECONDS_PER_MINUTE) + i64::from(self.utc_offset_minutes);
        let day_number = local_minutes.div_euclid(MINUTES_PER_DAY);
        let minute_of_day = local_minutes.rem_euclid(MINUTES_PER_DAY);
        let today = weekday_of_day_number(day_number);
        let start = self.start.minutes_after_midnight();
        let end = self.end.minutes_after_midnight();
        if start < end {
            return self.days.contains(&today) && start <= minute_of_day && minute_of_day < end;
        }
        let started_today = self.days.contains(&today) && minute_of_day >= start;
        let started_yesterday = self.days.contains(&today.pred()) && minute_of_day < end;
        started_today || started_yesterday
    }

    pub fn matches(&self, labels: &Labels) -> bool {
        !self.matchers.is_empty() && all_match(&self.matchers, labels)
    }

    pub fn mutes(&self, labels: &Labels, now_ms: i64) -> bool {
        self.matches(labels) && self.is_active(now_ms)
    }

    pub fn validate(&self) -> Result<(), AlertError> {
        let invalid = |reason: &str| AlertError::InvalidMaintenanceWindow {
            window: self.id.clone(),
            reason: reason.to_string(),
        };
        if self.id.is_empty() {
            return Err(invalid("field `id` must not be empty"));
        }
        if self.days.is_empty() {
            return Err(invalid("field `days` must name at least one day"));
        }
        if self.utc_offset_minutes.abs() > 14 * 60 {
            return Err(invalid("field `utc_offset_minutes` must be within ±840"));
        }
        Ok(())
    }
}

/// Day 0 (1970-01-01) was a Thursday.
fn weekday_of_day_number(day_number: i64) -> Weekday {
    let days_after_monday = (day_number + 3).rem_euclid(7);
    Weekday::try_from(days_after_monday as u8).unwrap_or(Weekday::Mon)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-23 00:00 UTC was a Monday.
    const MONDAY_MIDNIGHT_UTC_MS: i64 = 1_795_392_000_000;
    const HOUR_MS: i64 = 3_600_000;
    const DAY_MS: i64 = 24 * HOUR_MS;

    fn window(toml_fields: &str) -> MaintenanceWindow {
        let text = format!(
            "id = \"w1\"\nmatchers = [{{ name = \"site\", op = \"=\", value = \"tainan\" }}]\n{toml_fields}"
        );
        let window: MaintenanceWindow = toml::from_str(&text).unwrap();
        window.validate().unwrap();
        window
    }

    #[test]
    fn the_reference_monday_is_a_monday() {
        assert_eq!(
            weekday_of_day_number(MONDAY_MIDNIGHT_UTC_MS / DAY_MS),
            Weekday::Mon
        );
        assert_eq!(weekday_of_day_number(0), Weekday::Thu);
        assert_eq!(weekday_of_day_number(-1), Weekday::Wed);
    }

    #[test]
    fn a_daytime_window_is_open_only_on_its_days_and_hours() {
        let window = window("days = [\"mon\", \"wed\"]\nstart = \"09:00\"\nend = \"17:30\"\n");
        let monday = MONDAY_MIDNIGHT_UTC_MS;
        assert!(!window.is_active(monday + 9 * HOUR_MS - 1));
        assert!(window.is_active(monday + 9 * HOUR_MS));
        assert!(window.is_active(monday + 17 * HOUR_MS + 29 * 60_000));
        assert!(!window.is_active(monday + 17 * HOUR_MS + 30 * 60_000));
        assert!(!window.is_active(monday + DAY_MS + 10 * HOUR_MS), "tuesday");
        assert!(
            window.is_active(monday + 2 * DAY_MS + 10 * HOUR_MS),
            "wednesday"
        );
    }

    #[test]
    fn a_window_crossing_midnight_belongs_to_the_day_it_starts() {
        let window = window("days = [\"saturday\"]\nstart = \"22:00\"\nend = \"02:00\"\n");
        let saturday = MONDAY_MIDNIGHT_UTC_MS + 5 * DAY_MS;
        assert!(!window.is_active(saturday + 21 * HOUR_MS));
        assert!(window.is_active(saturday + 23 * HOUR_MS));
        assert!(
            window.is_active(saturday + DAY_MS + HOUR_MS),
            "sunday 01:00"
        );
        assert!(
            !window.is_active(saturday + DAY_MS + 2 * HOUR_MS),
            "sunday 02:00"
        );
        assert!(
            !window.is_active(saturday + DAY_MS + 23 * HOUR_MS),
            "sunday 23:00"
        );
        assert!(
            !window.is_active(saturday + HOUR_MS),
            "saturday 01:00: friday is not listed"
        );
    }

    #[test]
    fn the_utc_offset_shifts_local_time() {
        // 02:00-04:00 in Taipei (UTC+8) is 18:00-20:00 UTC the day before.
        let window = window(
            "days = [\"tue\"]\nstart = \"02:00\"\nend = \"04:00\"\nutc_offset_minutes = 480\n",
        );
        let monday = MONDAY_MIDNIGHT_UTC_MS;
        assert!(window.is_active(monday + 19 * HOUR_MS));
        assert!(!window.is_active(monday + DAY_MS + 3 * HOUR_MS));
    }

    #[test]
    fn start_equal_to_end_means_a_whole_day() {
        let window = window("days = [\"mon\"]\nstart = \"06:00\"\nend = \"06:00\"\n");
        let monday = MONDAY_MIDNIGHT_UTC_MS;
        assert!(window.is_active(monday + 6 * HOUR_MS));
        assert!(window.is_active(monday + DAY_MS + 5 * HOUR_MS));
        assert!(!window.is_active(monday + DAY_MS + 6 * HOUR_MS));
        assert!(!window.is_active(monday + 5 * HOUR_MS));
    }

    #[test]
    fn matchers_and_bad_times_are_checked() {
        let window = window("days = [\"mon\"]\nstart = \"00:00\"\nend = \"23:59\"\n");
        let tainan: Labels = [("site", "tainan")].into_iter().collect();
        let taipei: Labels = [("site", "taipei")].into_iter().collect();
        assert!(window.mutes(&tainan, MONDAY_MIDNIGHT_UTC_MS + HOUR_MS));
        assert!(!window.mutes(&taipei, MONDAY_MIDNIGHT_UTC_MS + HOUR_MS));
        let bad = toml::from_str::<MaintenanceWindow>(
            "id = \"w\"\nmatchers = []\ndays = [\"mon\"]\nstart = \"24:00\"\nend = \"01:00\"\n",
        );
        assert!(bad.unwrap_err().to_string().contains("24:00"));
    }
}
