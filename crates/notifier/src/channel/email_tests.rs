use super::*;
use crate::channel::ChannelConfig;
use crate::notification::NotificationStatus;
use crate::sample::sample_notification;

fn plain_config() -> EmailConfig {
    EmailConfig {
        name: "mail".to_string(),
        host: "127.0.0.1".to_string(),
        port: Some(2525),
        security: SmtpSecurity::None,
        ca_file: None,
        username: None,
        password: None,
        from: "Detectviz <detectviz@example.org>".to_string(),
        to: vec!["ops@example.org".to_string()],
        language: Language::En,
        template: None,
    }
}

#[test]
fn the_message_is_multipart_alternative_with_subject_and_message_id() {
    let email = Email::new(&plain_config()).unwrap();
    let notification = sample_notification(NotificationStatus::Firing);
    let formatted = String::from_utf8(email.message(&notification).unwrap().formatted()).unwrap();
    assert!(
        formatted.contains("Subject: [FIRING:2] Critical SpindleTemperatureHigh\r\n"),
        "{formatted}"
    );
    assert!(formatted.contains(&format!(
        "Message-ID: <{}@detectviz>",
        notification.idempotency_key
    )));
    assert!(formatted.contains("multipart/alternative"));
    assert!(formatted.contains("Content-Type: text/plain; charset=utf-8"));
    assert!(formatted.contains("Content-Type: text/html; charset=utf-8"));
    assert!(formatted.contains("To: ops@example.org"));
}

#[test]
fn half_credentials_and_bad_addresses_are_rejected() {
    let mut config = plain_config();
    config.username = Some("user".to_string());
    let error = Email::new(&config).unwrap_err().to_string();
    assert_eq!(
        error,
        "channel `mail`: set both `username` and `password`, or neither"
    );

    let mut config = plain_config();
    config.to = vec!["not an address".to_string()];
    assert!(
        Email::new(&config)
            .unwrap_err()
            .to_string()
            .contains("`to` address")
    );

    let mut config = plain_config();
    config.to.clear();
    assert!(Email::new(&config).is_err());
}

#[test]
fn the_sample_config_parses_and_builds_without_showing_the_password() {
    let config: ChannelConfig = toml::from_str(SAMPLE_CONFIG).unwrap();
    let channel = config.build().unwrap();
    assert_eq!(channel.name(), "shift-leads-email");
    let debug = format!("{config:?} {channel:?}");
    assert!(!debug.contains("change-me"), "{debug}");
    assert!(debug.contains("smtp.plant-a.example:587"), "{debug}");
}

#[test]
fn implicit_tls_defaults_to_port_465() {
    let mut config = plain_config();
    config.security = SmtpSecurity::Tls;
    config.port = None;
    let email = Email::new(&config).unwrap();
    assert_eq!(email.peer, "127.0.0.1:465");
}

#[test]
fn a_missing_ca_file_is_a_config_error() {
    let mut config = plain_config();
    config.security = SmtpSecurity::Starttls;
    config.ca_file = Some("/nonexistent/ca.pem".into());
    let error = Email::new(&config).unwrap_err().to_string();
    assert!(
        error.starts_with("channel `mail`: cannot read `ca_file` /nonexistent/ca.pem"),
        "{error}"
    );
}
