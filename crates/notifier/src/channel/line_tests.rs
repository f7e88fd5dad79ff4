use super::*;
use crate::channel::ChannelConfig;
use crate::notification::NotificationStatus;
use crate::sample::sample_notification;

fn sample_line() -> Line {
    let config: ChannelConfig = toml::from_str(SAMPLE_CONFIG).unwrap();
    let ChannelConfig::Line(config) = config else {
        panic!("the sample is a line config");
    };
    Line::new(&config).unwrap()
}

#[test]
fn the_push_body_has_one_text_message_for_the_target() {
    let line = sample_line();
    let body = line
        .push_body(&sample_notification(NotificationStatus::Firing))
        .unwrap();
    assert_eq!(body["to"], "C1234567890abcdef1234567890abcdef");
    assert_eq!(body["messages"].as_array().unwrap().len(), 1);
    assert_eq!(body["messages"][0]["type"], "text");
    let text = body["messages"][0]["text"].as_str().unwrap();
    assert!(
        text.starts_with("[告警中:2] 嚴重 SpindleTemperatureHigh\n"),
        "{text}"
    );
    assert!(body.get("notificationDisabled").is_none());
}

#[test]
fn long_text_is_cut_to_five_thousand_characters() {
    let line = sample_line();
    let mut notification = sample_notification(NotificationStatus::Firing);
    notification.alerts[0]
        .annotations
        .insert("summary".into(), "溫度".repeat(4000));
    let body = line.push_body(&notification).unwrap();
    let text = body["messages"][0]["text"].as_str().unwrap();
    assert_eq!(text.chars().count(), MAX_TEXT_CHARS);
    assert!(text.ends_with("…（內容過長，已截斷）"));
}

#[test]
fn the_retry_key_is_a_stable_uuid_per_notification_and_target() {
    let line = sample_line();
    let firing = sample_notification(NotificationStatus::Firing);
    let key = line.retry_key(&firing);
    assert_eq!(
        key,
        line.retry_key(&sample_notification(NotificationStatus::Firing))
    );
    assert_eq!(key.get_version_num(), 4);
    assert_ne!(
        key,
        line.retry_key(&sample_notification(NotificationStatus::Resolved))
    );
    assert_ne!(key, line_retry_key(&firing.idempotency_key, "Uother"));
}

#[test]
fn a_line_notify_config_is_rejected_with_what_to_use_instead() {
    let legacy = "type = \"line\"\nname = \"old\"\nto = \"U1\"\nchannel_access_token = \"t\"\n\
        api_base = \"https://notify-api.line.me\"\n";
    let config: ChannelConfig = toml::from_str(legacy).unwrap();
    let error = config.build().unwrap_err().to_string();
    assert!(error.contains("LINE Notify ended on 2025-03-31"), "{error}");
    assert!(error.contains("Messaging API"), "{error}");
}

#[test]
fn a_target_that_is_not_a_line_id_is_rejected() {
    let config = "type = \"line\"\nname = \"l\"\nto = \"someone\"\nchannel_access_token = \"t\"\n";
    let config: ChannelConfig = toml::from_str(config).unwrap();
    let error = config.build().unwrap_err().to_string();
    assert!(error.contains("`to` must be a LINE user"), "{error}");
}

#[test]
fn the_sample_config_parses_and_builds_without_showing_the_token() {
    let config: ChannelConfig = toml::from_str(SAMPLE_CONFIG).unwrap();
    let channel = config.build().unwrap();
    assert_eq!(channel.name(), "plant-a-line");
    let debug = format!("{config:?} {channel:?}");
    assert!(!debug.contains("change-me"), "{debug}");
}
