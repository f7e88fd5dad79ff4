//! Text shared by every export: durations, levels, the period line, and the plain-text digest
//! of the figures that is sent to the llm service (and is the summary when it is down).

use crate::figures::Figures;
use crate::language::Labels;
use crate::period::{format_local, format_offset};
use crate::report::Report;

/// `45 s`, `12.5 min`, `3.2 h`; `n/a` (localised) when there is nothing to average.
pub fn duration(seconds: Option<f64>, labels: &Labels) -> String {
    let Some(seconds) = seconds else {
        return labels.get("not_available").to_string();
    };
    if seconds < 60.0 {
        return format!("{seconds:.0} s");
    }
    if seconds < 3600.0 {
        return format!("{:.1} min", seconds / 60.0);
    }
    format!("{:.1} h", seconds / 3600.0)
}

/// The level's label (`嚴重`, `Critical`), or the level itself when unknown.
pub fn level(level: &str, labels: &Labels) -> String {
    let key = format!("level_{level}");
    let label = labels.get(&key);
    if label == key {
        level.to_string()
    } else {
        label.to_string()
    }
}

/// `2026-11-24 00:00 ~ 2026-11-25 00:00 (UTC+08:00)`
pub fn period_line(report: &Report) -> String {
    let offset = report.offset();
    format!(
        "{} ~ {} ({})",
        format_local(report.period.from_ms, offset),
        format_local(report.period.to_ms, offset),
        format_offset(offset)
    )
}

/// `{name}` placeholders in a label replaced by values.
pub fn fill(template: &str, values: &[(&str, String)]) -> String {
    values
        .iter()
        .fold(template.to_string(), |text, (name, value)| {
            text.replace(&format!("{{{name}}}"), value)
        })
}

/// A few plain sentences with every figure, in the report's language.
pub fn digest(figures: &Figures, labels: &Labels) -> String {
    let levels = figures
        .by_level
        .iter()
        .map(|count| format!("{} {}", level(&count.level, labels), count.count))
        .collect::<Vec<_>>()
        .join(", ");
    let rules = if figures.noisiest_rules.is_empty() {
        labels.get("none").to_string()
    } else {
        figures
            .noisiest_rules
            .iter()
            .take(3)
            .map(|rule| format!("{} ({})", rule.rule, rule.fired))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (sent, failed, total) = figures
        .notifications
        .iter()
        .fold((0, 0, 0), |(s, f, t), c| {
            (s + c.sent, f + c.failed, t + c.total)
        });
    let values = [
        ("fired", figures.fired.to_string()),
        ("resolved", figures.resolved.to_string()),
        ("escalated", figures.escalated.to_string()),
        ("levels", levels),
        ("rules", rules),
        ("mtta", duration(figures.mtta_s, labels)),
        ("mttr", duration(figures.mttr_s, labels)),
        ("acknowledged", figures.acknowledged.to_string()),
        ("notifications", total.to_string()),
        ("sent", sent.to_string()),
        ("failed", failed.to_string()),
    ];
    fill(labels.get("digest"), &values)
}
