//! Webhook action tests: rendered, signed requests against a local receiver, status and
//! connection errors classified for retries, bad configs refused, the sample and conformance.

use super::*;
use crate::action::ActionConfig;
use crate::action::conformance::{assert_action_conforms, sample_request};
use crate::action::test_server::{SIGNATURE_SECRET, start_server};

fn config(url: &str) -> WebhookConfig {
    let mut config: WebhookConfig = match toml::from_str(SAMPLE_CONFIG).unwrap() {
        ActionConfig::Webhook(config) => config,
        other => panic!("the sample is a webhook, not {other:?}"),
    };
    config.url = Secret::new(url);
    config.signature_secret = Some(Secret::new(SIGNATURE_SECRET));
    config
}

#[tokio::test]
async fn the_request_is_rendered_signed_and_the_ticket_id_read() {
    let (base, received) = start_server().await;
    let webhook = Webhook::new(&config(&format!(
        "{base}/hook/{{{{labels.line}}}}?severity={{{{severity}}}}"
    )))
    .unwrap();
    let mut request = sample_request(&[("team", "maintenance \"B\"")]);
    request
        .transition
        .labels
        .insert("site", "plant-a\r\nX-Evil: 1");
    let error = webhook.execute(&request).await.unwrap_err();
    assert!(
        matches!(error, ActionError::InvalidRequest { .. }),
        "{error}"
    );
    assert!(!error.is_retryable());

    let request = sample_request(&[("team", "maintenance \"B\"")]);
    let output = webhook.execute(&request).await.unwrap();
    assert_eq!(output.provider_id.as_deref(), Some("WO-42"));
    assert!(output.stdout.starts_with(r#"{"id": "WO-42""#));
    let received = received.lock().unwrap().clone();
    assert_eq!(received.len(), 1);
    let call = &received[0];
    assert_eq!(call.uri, "/hook/line-3?severity=critical");
    assert_eq!(call.headers["authorization"], "Bearer change-me-too");
    assert_eq!(call.headers["x-site"], "plant-a");
    assert_eq!(call.headers["x-detectviz-run-id"], request.run_id.as_str());
    let body: serde_json::Value = serde_json::from_slice(&call.body).unwrap();
    assert_eq!(body["title"], "SpindleTemperatureHigh on line-3");
    assert_eq!(body["team"], "maintenance \"B\"");
    assert_eq!(body["value"], "92.5");
}

#[tokio::test]
async fn without_a_body_template_the_transition_is_sent() {
    let (base, received) = start_server().await;
    let mut config = config(&format!("{base}/hook/plain"));
    config.body = None;
    let webhook = Webhook::new(&config).unwrap();
    webhook.execute(&sample_request(&[])).await.unwrap();
    let body: serde_json::Value =
        serde_json::from_slice(&received.lock().unwrap()[0].body).unwrap();
    assert_eq!(body["transition"]["fingerprint"], "a1c3e5f7a9b1c3e5");
}

#[tokio::test]
async fn a_wrong_signature_is_refused_by_the_receiver_and_final() {
    let (base, _received) = start_server().await;
    let mut config = config(&format!("{base}/hook/x"));
    config.signature_secret = Some(Secret::new("wrong-key"));
    let error = Webhook::new(&config)
        .unwrap()
        .execute(&sample_request(&[]))
        .await
        .unwrap_err();
    assert!(
        matches!(error, ActionError::HttpStatus { status: 401, .. }),
        "{error}"
    );
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn statuses_and_connection_errors_are_classified() {
    let (base, _received) = start_server().await;
    for (code, retryable) in [
        (500, true),
        (503, true),
        (429, true),
        (400, false),
        (404, false),
    ] {
        let webhook = Webhook::new(&config(&format!("{base}/status/{code}"))).unwrap();
        let error = webhook.execute(&sample_request(&[])).await.unwrap_err();
        assert_eq!(error.is_retryable(), retryable, "{code}: {error}");
    }
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let closed_address = closed.local_addr().unwrap();
    drop(closed);
    let webhook = Webhook::new(&config(&format!("http://{closed_address}/hook/x"))).unwrap();
    let error = webhook.execute(&sample_request(&[])).await.unwrap_err();
    assert!(matches!(error, ActionError::Unreachable { .. }), "{error}");
    assert!(error.is_retryable());
}

#[test]
fn bad_configs_are_refused_when_built() {
    let mut bad_url = config("ftp://example.org/x");
    assert!(Webhook::new(&bad_url).is_err());
    bad_url.url = Secret::new("http://example.org/{{secret_env}}");
    assert!(Webhook::new(&bad_url).is_err());
    let mut bad_method = config("http://example.org/x");
    bad_method.method = "GE T".to_string();
    assert!(Webhook::new(&bad_method).is_err());
}

#[tokio::test]
async fn the_sample_config_parses_builds_and_conforms() {
    let (base, _received) = start_server().await;
    let working = ActionConfig::Webhook(config(&format!("{base}/hook/sample?token=abc123")));
    let broken = ActionConfig::Webhook(config(&format!("{base}/status/502?token=abc123")));
    assert_action_conforms(
        &working,
        &broken,
        true,
        &[SIGNATURE_SECRET, "abc123", "change-me-too"],
    )
    .await;
}
