//! Rendering a notification as short titles and text or HTML bodies, in English or
//! Traditional Chinese, plus the truncation helper every length-limited channel uses.

use detectviz::Severity;
use serde::Deserialize;

use crate::notification::{Notification, NotificationAlert, NotificationStatus};

/// The language operators read a channel's messages in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub enum Language {
    #[serde(rename = "en")]
    En,
    /// Traditional Chinese (Taiwan).
    #[default]
    #[serde(rename = "zh-TW")]
    ZhTw,
}

/// The fixed words of one language.
struct Words {
    info: &'static str,
    warning: &'static str,
    critical: &'static str,
    firing: &'static str,
    resolved: &'static str,
    value: &'static str,
    since: &'static str,
    resolved_at: &'static str,
    labels: &'static str,
    console: &'static str,
    truncated: &'static str,
}

const ENGLISH: Words = Words {
    info: "Info",
    warning: "Warning",
    critical: "Critical",
    firing: "FIRING",
    resolved: "RESOLVED",
    value: "value",
    since: "since",
    resolved_at: "resolved at",
    labels: "labels",
    console: "Console",
    truncated: "… (truncated)",
};

const TRADITIONAL_CHINESE: Words = Words {
    info: "資訊",
    warning: "警告",
    critical: "嚴重",
    firing: "告警中",
    resolved: "已恢復",
    value: "數值",
    since: "開始於",
    resolved_at: "恢復於",
    labels: "標籤",
    console: "控制台",
    truncated: "…（內容過長，已截斷）",
};

fn words(language: Language) -> &'static Words {
    match language {
        Language::En => &ENGLISH,
        Language::ZhTw => &TRADITIONAL_CHINESE,
    }
}

pub fn severity_word(severity: Severity, language: Language) -> &'static str {
    let words = words(language);
    match severity {
        Severity::Info => words.info,
        Severity::Warning => words.warning,
        Severity::Critical => words.critical,
    }
}

pub fn status_word(status: NotificationStatus, language: Language) -> &'static str {
    let words = words(language);
    match status {
        NotificationStatus::Firing => words.firing,
        NotificationStatus::Resolved => words.resolved,
    }
}

/// The marker appended to text cut to fit a channel's limit.
pub fn truncation_marker(language: Language) -> &'static str {
    words(language).truncated
}

/// Short title, e.g. `[FIRING:2] Critical TemperatureHigh` or `[告警中:2] 嚴重 TemperatureHigh`.
pub fn render_title(notification: &Notification, language: Language) -> String {
    let count = notification
        .alerts
        .iter()
        .filter(|alert| alert.status == notification.status)
        .count();
    format!(
        "[{}:{}] {} {}",
        status_word(notification.status, language),
        count,
        severity_word(notification.highest_severity(), language),
        notification.alert_name()
    )
}

/// One alert's headline: severity, status, name and summary.
pub fn render_alert_headline(alert: &NotificationAlert, language: Language) -> String {
    let mut headline = format!(
        "{} {} {}",
        severity_word(alert.severity, language),
        status_word(alert.status, language),
        alert.alert_name()
    );
    if let Some(summary) = alert.annotations.get("summary") {
        headline.push_str(": ");
        headline.push_str(summary);
    }
    headline
}

/// One alert's details: value, start, end and labels, one fact per line.
pub fn render_alert_details(alert: &NotificationAlert, language: Language) -> Vec<String> {
    let words = words(language);
    let mut lines = Vec::new();
    if let Some(value) = alert.value {
        lines.push(format!("{}: {value}", words.value));
    }
    lines.push(format!("{}: {}", words.since, format_time(alert.starts_at)));
    if let Some(ends_at) = alert.ends_at {
        lines.push(format!("{}: {}", words.resolved_at, format_time(ends_at)));
    }
    let labels: Vec<String> = alert
        .labels
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    lines.push(format!("{}: {}", words.labels, labels.join(", ")));
    lines
}

/// Plain text body: the title, then every alert with its details, then the console link.
pub fn render_text_body(notification: &Notification, language: Language) -> String {
    let mut body = render_title(notification, language);
    body.push('\n');
    for alert in &notification.alerts {
        body.push_str("\n- ");
        body.push_str(&render_alert_headline(alert, language));
        for line in render_alert_details(alert, language) {
            body.push_str("\n  ");
            body.push_str(&line);
        }
    }
    if !notification.external_url.is_empty() {
        body.push_str(&format!(
            "\n\n{}: {}",
            words(language).console,
            notification.external_url
        ));
    }
    body
}

/// HTML body for email: the same content as the text body, escaped.
pub fn render_html_body(notification: &Notification, language: Language) -> String {
    let mut html = format!(
        "<!DOCTYPE html>\n<html><body>\n<h2>{}</h2>\n<ul>\n",
        escape_html(&render_title(notification, language))
    );
    for alert in &notification.alerts {
        html.push_str(&format!(
            "<li><strong>{}</strong><br>",
            escape_html(&render_alert_headline(alert, language))
        ));
        let details: Vec<String> = render_alert_details(alert, language)
            .iter()
            .map(|line| escape_html(line))
            .collect();
        html.push_str(&details.join("<br>"));
        html.push_str("</li>\n");
    }
    html.push_str("</ul>\n");
    if !notification.external_url.is_empty() {
        let url = escape_html(&notification.external_url);
        html.push_str(&format!(
            "<p>{}: <a href=\"{url}\">{url}</a></p>\n",
            words(language).console
        ));
    }
    html.push_str("</body></html>\n");
    html
}

/// `text` cut to at most `max_chars` characters, ending with the language's visible marker when
/// anything was cut. Characters are counted as UTF-16 code units (an emoji outside the basic
/// plane counts twice), the stricter of the ways LINE and Slack count, so the result fits both.
pub fn truncate_with_marker(text: &str, max_chars: usize, language: Language) -> String {
    if utf16_length(text) <= max_chars {
        return text.to_string();
    }
    let marker = truncation_marker(language);
    let budget = max_chars.saturating_sub(utf16_length(marker));
    let mut truncated = String::new();
    let mut used = 0;
    for character in text.chars() {
        used += character.len_utf16();
        if used > budget {
            break;
        }
        truncated.push(character);
    }
    truncated.push_str(marker);
    truncated
}

fn utf16_length(text: &str) -> usize {
    text.chars().map(char::len_utf16).sum()
}

fn format_time(time: chrono::DateTime<chrono::Utc>) -> String {
    time.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

pub(crate) use detectviz::text::escape_html;

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
