use super::*;
use crate::sample::sample_notification;

#[test]
fn titles_read_in_both_languages() {
    let firing = sample_notification(NotificationStatus::Firing);
    assert_eq!(
        render_title(&firing, Language::ZhTw),
        "[告警中:2] 嚴重 SpindleTemperatureHigh"
    );
    let resolved = sample_notification(NotificationStatus::Resolved);
    assert_eq!(
        render_title(&resolved, Language::En),
        "[RESOLVED:2] Critical SpindleTemperatureHigh"
    );
    assert_eq!(
        render_title(&resolved, Language::ZhTw),
        "[已恢復:2] 嚴重 SpindleTemperatureHigh"
    );
    assert_eq!(severity_word(Severity::Info, Language::ZhTw), "資訊");
    assert_eq!(severity_word(Severity::Warning, Language::ZhTw), "警告");
}

#[test]
fn the_text_body_lists_every_alert_with_its_details() {
    let body = render_text_body(
        &sample_notification(NotificationStatus::Firing),
        Language::En,
    );
    let expected_start = "[FIRING:2] Critical SpindleTemperatureHigh\n\n\
        - Critical FIRING SpindleTemperatureHigh: Spindle temperature 92.5 °C on line-3\n  \
        value: 92.5\n  since: 2025-06-01 02:02:00 UTC\n  \
        labels: alertname=SpindleTemperatureHigh, line=line-3, severity=critical, site=plant-a\n";
    assert!(body.starts_with(expected_start), "{body}");
    assert!(body.ends_with("Console: http://detectviz.plant-a.example:8080"));
}

#[test]
fn the_chinese_body_says_when_alerts_resolved() {
    let body = render_text_body(
        &sample_notification(NotificationStatus::Resolved),
        Language::ZhTw,
    );
    assert!(
        body.contains("嚴重 已恢復 SpindleTemperatureHigh"),
        "{body}"
    );
    assert!(body.contains("恢復於: 2025-06-01 02:17:00 UTC"), "{body}");
    assert!(body.contains("控制台: http://"), "{body}");
}

#[test]
fn the_html_body_is_escaped() {
    let mut notification = sample_notification(NotificationStatus::Firing);
    notification.alerts[0]
        .annotations
        .insert("summary".into(), "<script>&</script>".into());
    let html = render_html_body(&notification, Language::En);
    assert!(
        html.contains("&lt;script&gt;&amp;&lt;/script&gt;"),
        "{html}"
    );
    assert!(!html.contains("<script>"));
}

#[test]
fn truncation_counts_characters_and_shows_a_marker() {
    assert_eq!(truncate_with_marker("short", 10, Language::En), "short");
    let cut = truncate_with_marker(&"溫".repeat(100), 20, Language::En);
    assert_eq!(cut.chars().count(), 20);
    assert!(cut.ends_with("… (truncated)"));
    let cut = truncate_with_marker(&"x".repeat(100), 30, Language::ZhTw);
    assert_eq!(cut.chars().count(), 30);
    assert!(cut.ends_with("…（內容過長，已截斷）"));
}

#[test]
fn truncation_counts_emoji_outside_the_basic_plane_twice() {
    let cut = truncate_with_marker(&"🔥".repeat(100), 20, Language::En);
    assert!(cut.ends_with("… (truncated)"));
    assert!(cut.encode_utf16().count() <= 20, "{cut}");
    assert_eq!(cut.chars().count(), 3 + "… (truncated)".chars().count());
}
