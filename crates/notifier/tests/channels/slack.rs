//! The Slack channel against a local HTTP server standing in for hooks.slack.com.

use notifier::channel::slack::slack_message;
use notifier::sample::sample_notification;
use notifier::template::ChannelTemplates;
use notifier::{ChannelConfig, Language, NotificationStatus};

use crate::conformance::{ConformancePeer, PeerAnswer, conformance};
use crate::http_peer::HttpPeer;
use crate::smtp_peer::free_port;

fn slack_config(webhook_url: &str) -> ChannelConfig {
    let config =
        format!("type = \"slack\"\nname = \"ops-slack\"\nwebhook_url = \"{webhook_url}\"\n");
    toml::from_str(&config).unwrap()
}

#[tokio::test]
async fn slack_conforms() {
    let peer = HttpPeer::start("ok").await;
    let channel = slack_config(&peer.url("/services/T000/B000/slack-secret-token"))
        .build()
        .unwrap();
    let unreachable_url = format!(
        "http://127.0.0.1:{}/services/T000/B000/slack-secret-token",
        free_port()
    );
    let unreachable = slack_config(&unreachable_url).build().unwrap();
    conformance(
        channel.as_ref(),
        unreachable.as_ref(),
        &peer,
        &["slack-secret-token"],
    )
    .await;
}

#[tokio::test]
async fn slack_receives_block_kit_with_a_text_fallback() {
    let peer = HttpPeer::start("ok").await;
    let channel = slack_config(&peer.url("/services/T000/B000/XXXX"))
        .build()
        .unwrap();
    let notification = sample_notification(NotificationStatus::Firing);
    channel.send(&notification).await.unwrap();
    let request = peer.last_request();
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/services/T000/B000/XXXX");
    assert_eq!(request.header("content-type"), Some("application/json"));
    let body = request.json();
    assert_eq!(
        body,
        slack_message(
            &notification,
            &ChannelTemplates::new("ops", Language::ZhTw, None).unwrap()
        )
        .unwrap()
    );
    assert_eq!(body["text"], "🔴 [告警中:2] 嚴重 SpindleTemperatureHigh");
    assert_eq!(body["blocks"][0]["type"], "header");
    assert_eq!(body["blocks"][1]["fields"][0]["text"], "*狀態:*\n告警中");
}

#[tokio::test]
async fn slack_errors_403_404_410_are_final() {
    let peer = HttpPeer::start("ok").await;
    let channel = slack_config(&peer.url("/services/x")).build().unwrap();
    let notification = sample_notification(NotificationStatus::Firing);
    for status in [403, 404, 410] {
        peer.answer_with(PeerAnswer::Status(status));
        let error = channel.send(&notification).await.unwrap_err();
        assert!(!error.is_retryable(), "{status}: {error}");
    }
}
