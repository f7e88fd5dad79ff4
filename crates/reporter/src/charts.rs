//! The two charts of a report (alerts fired over time, alerts per level) as bars.

use crate::chart::Bar;
use crate::format;
use crate::language::Labels;
use crate::period::format_local;
use crate::report::Report;

/// Fired per bucket; labels are `HH:MM` for hourly buckets, `MM-DD` for longer ones.
pub fn over_time(report: &Report) -> Vec<Bar> {
    let offset = report.offset();
    let hourly = report.figures.bucket_ms < 24 * 3_600_000;
    report
        .figures
        .over_time
        .iter()
        .map(|bucket| {
            let local = format_local(bucket.start_ms, offset);
            let label = if hourly {
                local[11..16].to_string()
            } else {
                local[5..10].to_string()
            };
            Bar {
                label,
                value: bucket.count,
            }
        })
        .collect()
}

pub fn by_level(report: &Report, labels: &Labels) -> Vec<Bar> {
    report
        .figures
        .by_level
        .iter()
        .map(|count| Bar {
            label: format::level(&count.level, labels),
            value: count.count,
        })
        .collect()
}
