//! The email channel against a real SMTP server (aiosmtpd).

use notifier::channel::email::message_id;
use notifier::render::{render_text_body, render_title};
use notifier::sample::sample_notification;
use notifier::{ChannelConfig, ChannelError, Language, NotificationStatus};

use crate::conformance::conformance;
use crate::smtp_peer::{SmtpPeer, TestCertificates, free_port};

const PASSWORD: &str = "smtp-secret-password";

fn email_config(port: u16, security: &str, password: Option<&str>) -> ChannelConfig {
    let credentials = match password {
        Some(password) => format!("username = \"detectviz\"\npassword = \"{password}\"\n"),
        None => String::new(),
    };
    let config = format!(
        "type = \"email\"\nname = \"shift-mail\"\nhost = \"127.0.0.1\"\nport = {port}\n\
         security = \"{security}\"\n{credentials}\
         from = \"Detectviz <detectviz@example.org>\"\n\
         to = [\"ops@example.org\", \"Shift Lead <lead@example.org>\"]\n"
    );
    toml::from_str(&config).unwrap()
}

#[tokio::test]
async fn email_conforms() {
    let peer = SmtpPeer::start(Some(("detectviz", PASSWORD)));
    let channel = email_config(peer.port, "none", Some(PASSWORD))
        .build()
        .unwrap();
    let unreachable = email_config(free_port(), "none", Some(PASSWORD))
        .build()
        .unwrap();
    conformance(channel.as_ref(), unreachable.as_ref(), &peer, &[PASSWORD]).await;
}

#[tokio::test]
async fn the_server_receives_a_multipart_message_with_both_bodies() {
    let peer = SmtpPeer::start(Some(("detectviz", PASSWORD)));
    let channel = email_config(peer.port, "none", Some(PASSWORD))
        .build()
        .unwrap();
    let notification = sample_notification(NotificationStatus::Firing);
    let delivered = channel.send(&notification).await.unwrap();
    assert_eq!(
        delivered.provider_message_id,
        Some(message_id(&notification))
    );

    let messages = peer.messages();
    assert_eq!(messages.len(), 1);
    let message = &messages[0];
    assert_eq!(message["authenticated_as"], "detectviz");
    assert_eq!(message["mail_from"], "detectviz@example.org");
    assert_eq!(
        message["rcpt_tos"],
        serde_json::json!(["ops@example.org", "lead@example.org"])
    );
    assert_eq!(message["content_type"], "multipart/alternative");
    assert_eq!(
        message["subject"],
        render_title(&notification, Language::ZhTw)
    );
    assert_eq!(message["message_id"], message_id(&notification));
    let text = message["text"].as_str().unwrap();
    let text = text.replace("\r\n", "\n");
    assert_eq!(
        text.trim_end(),
        render_text_body(&notification, Language::ZhTw)
    );
    let html = message["html"].as_str().unwrap();
    assert!(
        html.contains("<h2>[告警中:2] 嚴重 SpindleTemperatureHigh</h2>"),
        "{html}"
    );
}

#[tokio::test]
async fn a_wrong_password_is_final_and_not_shown() {
    let peer = SmtpPeer::start(Some(("detectviz", PASSWORD)));
    let channel = email_config(peer.port, "none", Some("wrong-secret-password"))
        .build()
        .unwrap();
    let error = channel
        .send(&sample_notification(NotificationStatus::Firing))
        .await
        .unwrap_err();
    assert!(!error.is_retryable(), "{error}");
    let printed = format!("{error} {error:?} {channel:?}");
    assert!(!printed.contains("wrong-secret-password"), "{printed}");
    assert!(peer.messages().is_empty());
}

#[tokio::test]
async fn starttls_required_against_a_plain_server_does_not_send() {
    let peer = SmtpPeer::start(None);
    let channel = email_config(peer.port, "starttls", None).build().unwrap();
    let error = channel
        .send(&sample_notification(NotificationStatus::Firing))
        .await
        .unwrap_err();
    assert!(
        !matches!(error, ChannelError::SmtpRefused { .. }),
        "{error:?}"
    );
    assert!(peer.messages().is_empty());
}

fn tls_config(port: u16, security: &str, certificates: &TestCertificates) -> ChannelConfig {
    let config = format!(
        "type = \"email\"\nname = \"tls-mail\"\nhost = \"127.0.0.1\"\nport = {port}\n\
         security = \"{security}\"\nca_file = \"{}\"\n\
         from = \"detectviz@example.org\"\nto = [\"ops@example.org\"]\n",
        certificates.ca_certificate().display()
    );
    toml::from_str(&config).unwrap()
}

#[tokio::test]
async fn starttls_and_implicit_tls_deliver_with_a_private_ca() {
    let certificates = TestCertificates::create();
    for mode in ["starttls", "tls"] {
        let peer = SmtpPeer::start_with_tls(mode, &certificates);
        let channel = tls_config(peer.port, mode, &certificates).build().unwrap();
        let delivered = channel
            .send(&sample_notification(NotificationStatus::Firing))
            .await;
        assert!(delivered.is_ok(), "{mode}: {delivered:?}");
        assert_eq!(peer.messages().len(), 1, "{mode}");
    }
}

#[tokio::test]
async fn an_untrusted_certificate_is_refused() {
    let certificates = TestCertificates::create();
    let peer = SmtpPeer::start_with_tls("tls", &certificates);
    let channel = email_config(peer.port, "tls", None).build().unwrap();
    let error = channel
        .send(&sample_notification(NotificationStatus::Firing))
        .await
        .unwrap_err();
    assert!(peer.messages().is_empty(), "{error}");
}
