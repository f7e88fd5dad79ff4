//! The webhook channel against a local HTTP receiver.

use notifier::channel::webhook::{SAMPLE_CONFIG, alertmanager_message, body_signature};
use notifier::sample::sample_notification;
use notifier::{ChannelConfig, NotificationStatus};

use crate::conformance::{ConformancePeer, PeerAnswer, conformance};
use crate::http_peer::HttpPeer;
use crate::smtp_peer::free_port;

const SECRETS: [&str; 5] = [
    "path-token-secret",
    "query-secret",
    "hmac-secret-value",
    "bearer-secret-value",
    "header-secret-value",
];

fn webhook_config(url: &str, extra: &str) -> ChannelConfig {
    let config = format!(
        "type = \"webhook\"\nname = \"mes\"\nurl = \"{url}\"\n{extra}\n\
         [headers]\nX-Api-Key = \"header-secret-value\"\n"
    );
    toml::from_str(&config).unwrap()
}

const SIGNED_WITH_BEARER: &str =
    "signature_secret = \"hmac-secret-value\"\nbearer_token = \"bearer-secret-value\"";

#[tokio::test]
async fn the_webhook_conforms() {
    let peer = HttpPeer::start("").await;
    let url = peer.url("/hooks/path-token-secret?key=query-secret");
    let channel = webhook_config(&url, SIGNED_WITH_BEARER).build().unwrap();
    let unreachable_url = format!("http://127.0.0.1:{}/hooks/path-token-secret", free_port());
    let unreachable = webhook_config(&unreachable_url, SIGNED_WITH_BEARER)
        .build()
        .unwrap();
    conformance(channel.as_ref(), unreachable.as_ref(), &peer, &SECRETS).await;
}

#[tokio::test]
async fn the_body_is_alertmanager_v4_signed_with_auth_and_headers() {
    let peer = HttpPeer::start("").await;
    let url = peer.url("/hooks/path-token-secret?key=query-secret");
    let channel = webhook_config(&url, SIGNED_WITH_BEARER).build().unwrap();
    let notification = sample_notification(NotificationStatus::Firing);
    let delivered = channel.send(&notification).await.unwrap();
    assert_eq!(delivered.provider_message_id, None);

    let request = peer.last_request();
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/hooks/path-token-secret");
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(
        request.header("authorization"),
        Some("Bearer bearer-secret-value")
    );
    assert_eq!(request.header("x-api-key"), Some("header-secret-value"));
    assert_eq!(
        request.header("idempotency-key"),
        Some(notification.idempotency_key.as_str())
    );
    let expected_signature = body_signature("hmac-secret-value", &request.body);
    assert_eq!(
        request.header("x-detectviz-signature"),
        Some(expected_signature.as_str())
    );
    let expected_body = serde_json::to_value(alertmanager_message(&notification, 0)).unwrap();
    assert_eq!(request.json(), expected_body);
    assert_eq!(request.json()["version"], "4");
    assert_eq!(
        request.json()["alerts"][0]["endsAt"],
        "0001-01-01T00:00:00Z"
    );
}

#[tokio::test]
async fn max_alerts_and_basic_auth_reach_the_receiver() {
    let peer = HttpPeer::start("").await;
    let extra = "max_alerts = 1\n[basic_auth]\nusername = \"mes\"\npassword = \"pw\"";
    let channel = webhook_config(&peer.url("/in"), extra).build().unwrap();
    channel
        .send(&sample_notification(NotificationStatus::Resolved))
        .await
        .unwrap();
    let request = peer.last_request();
    assert_eq!(request.header("authorization"), Some("Basic bWVzOnB3"));
    assert_eq!(request.header("x-detectviz-signature"), None);
    let body = request.json();
    assert_eq!(body["truncatedAlerts"], 1);
    assert_eq!(body["alerts"].as_array().unwrap().len(), 1);
    assert_eq!(body["status"], "resolved");
    assert_eq!(body["alerts"][0]["endsAt"], "2025-06-01T02:17:00.000Z");
}

#[tokio::test]
async fn client_errors_are_final_and_server_errors_are_retryable() {
    let peer = HttpPeer::start("").await;
    let channel = webhook_config(&peer.url("/in"), "").build().unwrap();
    let notification = sample_notification(NotificationStatus::Firing);
    for (status, retryable) in [
        (401, false),
        (403, false),
        (404, false),
        (410, false),
        (408, true),
        (502, true),
        (503, true),
    ] {
        peer.answer_with(PeerAnswer::Status(status));
        let error = channel.send(&notification).await.unwrap_err();
        assert_eq!(error.is_retryable(), retryable, "{status}: {error}");
    }
}

#[test]
fn the_sample_config_builds() {
    let config: ChannelConfig = toml::from_str(SAMPLE_CONFIG).unwrap();
    assert_eq!(config.build().unwrap().name(), "mes-webhook");
}

#[tokio::test]
async fn the_grafana_body_format_reaches_the_receiver() {
    let peer = HttpPeer::start("").await;
    let extra = "body_format = \"grafana\"\nlanguage = \"en\"";
    let channel = webhook_config(&peer.url("/grafana"), extra)
        .build()
        .unwrap();
    channel
        .send(&sample_notification(NotificationStatus::Resolved))
        .await
        .unwrap();
    let body = peer.last_request().json();
    assert_eq!(body["version"], "1");
    assert_eq!(body["state"], "ok");
    assert_eq!(
        body["title"],
        "[RESOLVED:2] Critical SpindleTemperatureHigh"
    );
    assert_eq!(body["alerts"][1]["values"]["A"], 86.0);
}
