//! Channel templates end to end: what the local peers receive in both languages and with a
//! channel's own templates, and template errors that name the channel and the line.

use notifier::sample::sample_notification;
use notifier::{ChannelConfig, ChannelError, NotificationStatus};

use crate::http_peer::HttpPeer;
use crate::smtp_peer::SmtpPeer;

const PUSH_ANSWER: &str = r#"{"sentMessages":[{"id":"461230966842064897"}]}"#;

fn channel(config: &str) -> ChannelConfig {
    toml::from_str(config).unwrap()
}

#[tokio::test]
async fn a_template_webhook_posts_exactly_the_rendered_body() {
    let peer = HttpPeer::start("").await;
    let config = channel(&format!(
        r#"
        type = "webhook"
        name = "ticketing"
        url = "{}"
        body_format = "template"
        content_type = "application/vnd.ticket+json"
        [template]
        body = '{{"summary": {{{{ title|tojson }}}}, "count": {{{{ alerts|length }}}}, "hosts": [{{% for alert in alerts %}}{{{{ alert.labels.line|tojson }}}}{{% if not loop.last %}}, {{% endif %}}{{% endfor %}}]}}'
        "#,
        peer.url("/tickets")
    ));
    config
        .build()
        .unwrap()
        .send(&sample_notification(NotificationStatus::Firing))
        .await
        .unwrap();
    let request = peer.last_request();
    assert_eq!(
        request.header("content-type"),
        Some("application/vnd.ticket+json")
    );
    assert_eq!(
        std::str::from_utf8(&request.body).unwrap(),
        r#"{"summary": "[告警中:2] 嚴重 SpindleTemperatureHigh", "count": 2, "hosts": ["line-3", "line-4"]}"#
    );
}

#[tokio::test]
async fn line_sends_the_english_default_or_the_channels_own_body() {
    let peer = HttpPeer::start(PUSH_ANSWER).await;
    let base = format!(
        "type = \"line\"\nname = \"plant-line\"\nto = \"Uabc\"\n\
         channel_access_token = \"token\"\napi_base = \"{}\"\nlanguage = \"en\"\n",
        peer.url("")
    );
    let notification = sample_notification(NotificationStatus::Firing);
    channel(&base)
        .build()
        .unwrap()
        .send(&notification)
        .await
        .unwrap();
    let text = peer.last_request().json()["messages"][0]["text"].clone();
    let text = text.as_str().unwrap();
    assert!(
        text.starts_with("[FIRING:2] Critical SpindleTemperatureHigh\n\n- Critical FIRING"),
        "{text}"
    );
    assert!(text.contains("\n  value: 92.5\n"), "{text}");

    let own = format!(
        "{base}[template]\nbody = \"\"\"\n{{% for alert in alerts %}}\n\
         {{{{ alert.labels.line }}}} {{{{ alert.severity_word }}}} {{{{ alert.value_text }}}}\n\
         {{% endfor %}}\n\"\"\"\n"
    );
    channel(&own)
        .build()
        .unwrap()
        .send(&notification)
        .await
        .unwrap();
    let body = peer.last_request().json();
    assert_eq!(
        body["messages"][0]["text"],
        "line-3 Critical 92.5\nline-4 Warning 86"
    );
}

#[tokio::test]
async fn email_renders_its_own_subject_and_the_language_defaults() {
    let peer = SmtpPeer::start(None);
    let config = channel(&format!(
        "type = \"email\"\nname = \"shift-mail\"\nhost = \"127.0.0.1\"\nport = {}\n\
         security = \"none\"\nfrom = \"detectviz@example.org\"\nto = [\"ops@example.org\"]\n\
         language = \"en\"\n[template]\ntitle = \"<{{{{ count }}}}> {{{{ alert_name }}}} & co\"\n",
        peer.port
    ));
    let notification = sample_notification(NotificationStatus::Resolved);
    config.build().unwrap().send(&notification).await.unwrap();
    let message = &peer.messages()[0];
    assert_eq!(message["subject"], "<2> SpindleTemperatureHigh & co");
    let text = message["text"].as_str().unwrap().replace("\r\n", "\n");
    assert!(
        text.starts_with("<2> SpindleTemperatureHigh & co\n\n- Critical RESOLVED"),
        "{text}"
    );
    assert!(text.contains("  resolved at: "), "{text}");
    let html = message["html"].as_str().unwrap();
    assert!(
        html.contains("<h2>&lt;2&gt; SpindleTemperatureHigh &amp; co</h2>"),
        "{html}"
    );
}

#[test]
fn a_template_that_does_not_compile_names_the_channel_and_the_line() {
    let config = channel(
        "type = \"slack\"\nname = \"ops-slack\"\nwebhook_url = \"http://127.0.0.1:9/x\"\n\
         [template]\ntitle = \"\"\"\n{{ status }}\n{% if %}\n\"\"\"\n",
    );
    let error = config.build().unwrap_err().to_string();
    assert!(error.contains("channel `ops-slack`"), "{error}");
    assert!(error.contains("template `title` line 2"), "{error}");
}

#[tokio::test]
async fn a_template_that_fails_while_rendering_is_a_final_error_naming_its_line() {
    let peer = HttpPeer::start("").await;
    let config = channel(&format!(
        "type = \"webhook\"\nname = \"hook\"\nurl = \"{}\"\nbody_format = \"template\"\n\
         [template]\nbody = \"\"\"\nok\n{{% for x in count %}}{{{{ x }}}}{{% endfor %}}\n\"\"\"\n",
        peer.url("/")
    ));
    let error = config
        .build()
        .unwrap()
        .send(&sample_notification(NotificationStatus::Firing))
        .await
        .unwrap_err();
    assert!(!error.is_retryable());
    let text = error.to_string();
    assert!(text.contains("channel `hook`"), "{text}");
    assert!(text.contains("template `body` line 2"), "{text}");
    assert!(matches!(error, ChannelError::InvalidMessage { .. }));
    assert!(peer.requests().is_empty());
}
