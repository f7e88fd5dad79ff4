//! The LINE channel against a local HTTP server standing in for api.line.me.

use notifier::channel::line::line_retry_key;
use notifier::sample::sample_notification;
use notifier::{ChannelConfig, NotificationStatus};

use crate::conformance::{ConformancePeer, PeerAnswer, conformance};
use crate::http_peer::HttpPeer;
use crate::smtp_peer::free_port;

const PUSH_ANSWER: &str =
    r#"{"sentMessages":[{"id":"461230966842064897","quoteToken":"IStG5h1Tz7b"}]}"#;
const TARGET: &str = "Ub1234567890abcdef1234567890abcd";

fn line_config(api_base: &str) -> ChannelConfig {
    let config = format!(
        "type = \"line\"\nname = \"plant-line\"\nto = \"{TARGET}\"\n\
         channel_access_token = \"line-secret-token\"\napi_base = \"{api_base}\"\nlanguage = \"en\"\n"
    );
    toml::from_str(&config).unwrap()
}

#[tokio::test]
async fn line_conforms() {
    let peer = HttpPeer::start(PUSH_ANSWER).await;
    let channel = line_config(&peer.url("")).build().unwrap();
    let unreachable = line_config(&format!("http://127.0.0.1:{}", free_port()))
        .build()
        .unwrap();
    conformance(
        channel.as_ref(),
        unreachable.as_ref(),
        &peer,
        &["line-secret-token"],
    )
    .await;
}

#[tokio::test]
async fn a_push_has_token_retry_key_and_one_text_message() {
    let peer = HttpPeer::start(PUSH_ANSWER).await;
    let channel = line_config(&peer.url("/")).build().unwrap();
    let notification = sample_notification(NotificationStatus::Resolved);
    let delivered = channel.send(&notification).await.unwrap();
    assert_eq!(
        delivered.provider_message_id.as_deref(),
        Some("461230966842064897")
    );

    let request = peer.last_request();
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/v2/bot/message/push");
    assert_eq!(
        request.header("authorization"),
        Some("Bearer line-secret-token")
    );
    assert_eq!(request.header("content-type"), Some("application/json"));
    let expected_key = line_retry_key(&notification.idempotency_key, TARGET).to_string();
    assert_eq!(
        request.header("x-line-retry-key"),
        Some(expected_key.as_str())
    );
    let body = request.json();
    assert_eq!(body.as_object().unwrap().len(), 2, "{body}");
    assert_eq!(body["to"], TARGET);
    assert_eq!(body["messages"].as_array().unwrap().len(), 1);
    assert_eq!(body["messages"][0]["type"], "text");
    let text = body["messages"][0]["text"].as_str().unwrap();
    assert!(
        text.starts_with("[RESOLVED:2] Critical SpindleTemperatureHigh\n"),
        "{text}"
    );
}

#[tokio::test]
async fn a_retried_push_reuses_its_key_and_409_counts_as_delivered() {
    let peer = HttpPeer::start(PUSH_ANSWER).await;
    let channel = line_config(&peer.url("")).build().unwrap();
    let notification = sample_notification(NotificationStatus::Firing);
    peer.answer_with(PeerAnswer::ServerError);
    let error = channel.send(&notification).await.unwrap_err();
    assert!(error.is_retryable(), "{error}");
    peer.answer_with(PeerAnswer::Status(409));
    let delivered = channel.send(&notification).await.unwrap();
    assert_eq!(
        delivered.provider_message_id.as_deref(),
        Some("accepted-request-1")
    );
    let keys: Vec<String> = peer
        .requests()
        .iter()
        .map(|request| request.header("x-line-retry-key").unwrap().to_string())
        .collect();
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0], keys[1]);
}

#[tokio::test]
async fn line_client_errors_are_final() {
    let peer = HttpPeer::start(PUSH_ANSWER).await;
    let channel = line_config(&peer.url("")).build().unwrap();
    let notification = sample_notification(NotificationStatus::Firing);
    for status in [400, 401, 403, 404] {
        peer.answer_with(PeerAnswer::Status(status));
        let error = channel.send(&notification).await.unwrap_err();
        assert!(!error.is_retryable(), "{status}: {error}");
        assert!(!error.to_string().contains("line-secret-token"));
    }
}
