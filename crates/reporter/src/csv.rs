//! CSV export: one `section,item,value` row per figure, UTF-8 with a byte-order mark so that
//! spreadsheet programs show the Chinese text correctly. Section and item names are stable
//! keys (English); values (titles, rule names, the summary) are in the report's language.

use crate::period::format_local;
use crate::report::Report;

pub fn render(report: &Report) -> String {
    let figures = &report.figures;
    let offset = report.offset();
    let mut rows: Vec<[String; 3]> = Vec::new();
    let mut row = |section: &str, item: &str, value: String| {
        rows.push([section.to_string(), item.to_string(), value]);
    };
    row("report", "id", report.id.clone());
    row("report", "kind", report.kind.as_str().to_string());
    row("report", "title", report.title.clone());
    row("report", "language", report.language.code().to_string());
    row(
        "report",
        "from",
        format_local(report.period.from_ms, offset),
    );
    row("report", "to", format_local(report.period.to_ms, offset));
    row(
        "report",
        "utc_offset_minutes",
        report.utc_offset_minutes.to_string(),
    );
    row("summary", "text", report.summary.text.clone());
    row("summary", "backend", report.summary.backend.clone());
    row(
        "summary",
        "is_fallback",
        report.summary.is_fallback.to_string(),
    );
    row("alerts", "fired", figures.fired.to_string());
    row("alerts", "escalated", figures.escalated.to_string());
    row("alerts", "resolved", figures.resolved.to_string());
    row("alerts", "transitions", figures.transitions.to_string());
    if let Some(limit) = figures.truncated_at {
        row("alerts", "truncated_at", limit.to_string());
    }
    for level in &figures.by_level {
        row("level", &level.level, level.count.to_string());
    }
    for bucket in &figures.over_time {
        row(
            "fired_over_time",
            &format_local(bucket.start_ms, offset),
            bucket.count.to_string(),
        );
    }
    for rule in &figures.noisiest_rules {
        row("noisiest_rule", &rule.rule, rule.fired.to_string());
    }
    let seconds = |value: Option<f64>| value.map(|s| format!("{s:.1}")).unwrap_or_default();
    row("response", "mtta_seconds", seconds(figures.mtta_s));
    row("response", "acknowledged", figures.acknowledged.to_string());
    row("response", "mttr_seconds", seconds(figures.mttr_s));
    row(
        "response",
        "resolved_incidents",
        figures.resolved_incidents.to_string(),
    );
    for channel in &figures.notifications {
        row(
            "notifications",
            &format!("{}.sent", channel.channel),
            channel.sent.to_string(),
        );
        row(
            "notifications",
            &format!("{}.failed", channel.channel),
            channel.failed.to_string(),
        );
        row(
            "notifications",
            &format!("{}.pending", channel.channel),
            channel.pending.to_string(),
        );
    }
    for section in &report.missing_sections {
        row("missing_section", section, String::new());
    }

    let mut text = String::from("\u{feff}section,item,value\r\n");
    for [section, item, value] in rows {
        text.push_str(&format!(
            "{},{},{}\r\n",
            quote(&section),
            quote(&item),
            quote(&value)
        ));
    }
    text
}

/// RFC 4180 quoting: fields with a comma, quote or line break are quoted, quotes doubled.
/// A leading `=`, `+`, `-` or `@` is prefixed with `'` so that spreadsheets do not run it.
pub fn quote(field: &str) -> String {
    let field = if field.starts_with(['=', '+', '-', '@']) && field.parse::<f64>().is_err() {
        format!("'{field}")
    } else {
        field.to_string()
    };
    if field.contains([',', '"', '\n', '\r']) {
        return format!("\"{}\"", field.replace('"', "\"\""));
    }
    field
}
