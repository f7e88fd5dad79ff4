use super::*;
use crate::channel::ChannelConfig;
use crate::sample::sample_notification;
use crate::template::ChannelTemplates;

#[test]
fn the_message_has_a_fallback_header_fields_alerts_and_context() {
    let notification = sample_notification(NotificationStatus::Firing);
    let message = slack_message(
        &notification,
        &ChannelTemplates::new("ops", Language::En, None).unwrap(),
    )
    .unwrap();
    assert_eq!(
        message["text"],
        "🔴 [FIRING:2] Critical SpindleTemperatureHigh"
    );
    let blocks = message["blocks"].as_array().unwrap();
    let types: Vec<&str> = blocks
        .iter()
        .map(|block| block["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "header", "section", "section", "section", "context", "actions"
        ]
    );
    assert_eq!(blocks[0]["text"]["type"], "plain_text");
    assert_eq!(blocks[1]["fields"][0]["text"], "*Status:*\nFIRING");
    assert_eq!(blocks[1]["fields"][1]["text"], "*Severity:*\nCritical");
    let first_alert = blocks[2]["text"]["text"].as_str().unwrap();
    assert!(
        first_alert.starts_with("*Critical FIRING SpindleTemperatureHigh: Spindle temperature 92.5 °C on line-3*\nvalue: 92.5"),
        "{first_alert}"
    );
    assert_eq!(
        blocks[5]["elements"][0]["url"],
        "http://detectviz.plant-a.example:8080"
    );
}

#[test]
fn the_chinese_message_uses_chinese_words() {
    let notification = sample_notification(NotificationStatus::Resolved);
    let message = slack_message(
        &notification,
        &ChannelTemplates::new("ops", Language::ZhTw, None).unwrap(),
    )
    .unwrap();
    assert_eq!(message["text"], "✅ [已恢復:2] 嚴重 SpindleTemperatureHigh");
    assert_eq!(message["blocks"][1]["fields"][0]["text"], "*狀態:*\n已恢復");
}

#[test]
fn long_texts_and_many_alerts_stay_within_slack_limits() {
    let mut notification = sample_notification(NotificationStatus::Firing);
    let template = notification.alerts[0].clone();
    notification.alerts = (0..120)
        .map(|index| {
            let mut alert = template.clone();
            alert.fingerprint = format!("{index:016x}");
            alert
                .annotations
                .insert("summary".into(), "很長的說明 <&> ".repeat(400));
            alert
        })
        .collect();
    notification
        .common_labels
        .insert("alertname".into(), "X".repeat(400));
    let message = slack_message(
        &notification,
        &ChannelTemplates::new("ops", Language::En, None).unwrap(),
    )
    .unwrap();
    let blocks = message["blocks"].as_array().unwrap();
    assert_eq!(blocks.len(), MAX_BLOCKS);
    let header = blocks[0]["text"]["text"].as_str().unwrap();
    assert_eq!(header.encode_utf16().count(), MAX_HEADER_CHARS);
    assert!(header.ends_with("… (truncated)"));
    for block in blocks.iter().filter(|block| block["type"] == "section") {
        if let Some(text) = block["text"]["text"].as_str() {
            assert!(text.chars().count() <= MAX_SECTION_TEXT_CHARS);
        }
    }
    let alert_text = blocks[2]["text"]["text"].as_str().unwrap();
    assert!(alert_text.ends_with("… (truncated)"));
    assert!(alert_text.contains("&lt;&amp;&gt;"));
    assert_eq!(blocks[47]["text"]["text"], "… and 75 more alerts");
}

#[test]
fn the_sample_config_parses_and_builds_without_showing_the_url() {
    let config: ChannelConfig = toml::from_str(SAMPLE_CONFIG).unwrap();
    let channel = config.build().unwrap();
    assert_eq!(channel.name(), "ops-slack");
    let debug = format!("{config:?} {channel:?}");
    assert!(!debug.contains("XXXXXXXX"), "{debug}");
    assert!(!debug.contains("T00000000"), "{debug}");
}
