use serde_json::json;

use super::*;
use crate::channel::ChannelConfig;
use crate::notification::NotificationStatus;
use crate::sample::sample_notification;
use crate::template::ChannelTemplates;

#[test]
fn the_body_is_the_alertmanager_v4_shape() {
    let notification = sample_notification(NotificationStatus::Firing);
    let body = serde_json::to_value(alertmanager_message(&notification, 0)).unwrap();
    let first_alert_labels = json!({
        "alertname": "SpindleTemperatureHigh", "line": "line-3",
        "severity": "critical", "site": "plant-a"
    });
    assert_eq!(body["version"], "4");
    assert_eq!(
        body["groupKey"],
        "{}:{alertname=\"SpindleTemperatureHigh\"}"
    );
    assert_eq!(body["truncatedAlerts"], 0);
    assert_eq!(body["status"], "firing");
    assert_eq!(body["receiver"], "ops");
    assert_eq!(
        body["groupLabels"],
        json!({"alertname": "SpindleTemperatureHigh"})
    );
    assert_eq!(
        body["commonLabels"],
        json!({"alertname": "SpindleTemperatureHigh", "site": "plant-a"})
    );
    assert_eq!(
        body["commonAnnotations"],
        json!({"runbook": "Check coolant flow"})
    );
    assert_eq!(body["externalURL"], "http://detectviz.plant-a.example:8080");
    assert_eq!(
        body["alerts"][0],
        json!({
            "status": "firing",
            "labels": first_alert_labels,
            "annotations": {
                "runbook": "Check coolant flow",
                "summary": "Spindle temperature 92.5 °C on line-3"
            },
            "startsAt": "2025-06-01T02:02:00.000Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://detectviz.plant-a.example:8080/alerts/a1c3e5f7a9b1c3e5",
            "fingerprint": "a1c3e5f7a9b1c3e5"
        })
    );
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 10, "{keys:?}");
}

#[test]
fn resolved_alerts_carry_their_end_time() {
    let notification = sample_notification(NotificationStatus::Resolved);
    let body = serde_json::to_value(alertmanager_message(&notification, 0)).unwrap();
    assert_eq!(body["status"], "resolved");
    assert_eq!(body["alerts"][1]["status"], "resolved");
    assert_eq!(body["alerts"][1]["endsAt"], "2025-06-01T02:17:00.000Z");
}

#[test]
fn max_alerts_truncates_and_counts() {
    let notification = sample_notification(NotificationStatus::Firing);
    let body = serde_json::to_value(alertmanager_message(&notification, 1)).unwrap();
    assert_eq!(body["truncatedAlerts"], 1);
    assert_eq!(body["alerts"].as_array().unwrap().len(), 1);
    let body = serde_json::to_value(alertmanager_message(&notification, 5)).unwrap();
    assert_eq!(body["truncatedAlerts"], 0);
}

#[test]
fn the_grafana_body_is_the_v4_body_plus_grafana_fields() {
    let notification = sample_notification(NotificationStatus::Firing);
    let templates = ChannelTemplates::new("ops", Language::En, None).unwrap();
    let body = grafana_message(&notification, 0, &templates).unwrap();
    assert_eq!(body["version"], "1");
    assert_eq!(body["orgId"], 1);
    assert_eq!(body["state"], "alerting");
    assert_eq!(body["status"], "firing");
    assert_eq!(body["title"], "[FIRING:2] Critical SpindleTemperatureHigh");
    assert!(body["message"].as_str().unwrap().starts_with("[FIRING:2]"));
    assert_eq!(
        body["groupKey"],
        "{}:{alertname=\"SpindleTemperatureHigh\"}"
    );
    let alert = &body["alerts"][0];
    assert_eq!(alert["values"], json!({"A": 92.5}));
    assert_eq!(alert["valueString"], "[ var='A' labels={} value=92.5 ]");
    assert_eq!(alert["silenceURL"], "");
    assert_eq!(alert["fingerprint"], "a1c3e5f7a9b1c3e5");
    let templates = ChannelTemplates::new("ops", Language::ZhTw, None).unwrap();
    let resolved = grafana_message(
        &sample_notification(NotificationStatus::Resolved),
        0,
        &templates,
    )
    .unwrap();
    assert_eq!(resolved["state"], "ok");
    assert_eq!(resolved["title"], "[已恢復:2] 嚴重 SpindleTemperatureHigh");
}

#[test]
fn the_signature_is_hmac_sha256_hex() {
    // RFC 4231, test case 2.
    assert_eq!(
        body_signature("Jefe", b"what do ya want for nothing?"),
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}

#[test]
fn basic_auth_is_base64_of_user_and_password() {
    assert_eq!(
        basic_authorization("Aladdin", "open sesame"),
        "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
    );
    assert_eq!(base64_encode(b"a"), "YQ==");
    assert_eq!(base64_encode(b"ab"), "YWI=");
    assert_eq!(base64_encode(b"abc"), "YWJj");
}

#[test]
fn the_sample_config_parses_and_builds() {
    let config: ChannelConfig = toml::from_str(SAMPLE_CONFIG).unwrap();
    assert_eq!(config.name(), "mes-webhook");
    let channel = config.build().unwrap();
    assert_eq!(channel.name(), "mes-webhook");
    let debug = format!("{config:?} {channel:?}");
    for secret in ["change-me", "hooks/detectviz", "plant-a\""] {
        assert!(!debug.contains(secret), "{secret} leaked: {debug}");
    }
}

#[test]
fn bad_configs_are_rejected_with_a_reason() {
    let both_auths = "type = \"webhook\"\nname = \"w\"\nurl = \"http://127.0.0.1:1/\"\n\
        bearer_token = \"t\"\n[basic_auth]\nusername = \"u\"\npassword = \"p\"\n";
    let config: ChannelConfig = toml::from_str(both_auths).unwrap();
    let error = config.build().unwrap_err().to_string();
    assert_eq!(
        error,
        "channel `w`: set either `bearer_token` or `basic_auth`, not both"
    );

    let unknown_field = "type = \"webhook\"\nname = \"w\"\nurl = \"http://x/\"\nsecret = \"s\"\n";
    let error = toml::from_str::<ChannelConfig>(unknown_field)
        .unwrap_err()
        .to_string();
    assert!(error.contains("unknown field `secret`"), "{error}");

    let bad_header = "type = \"webhook\"\nname = \"w\"\nurl = \"http://x/\"\n[headers]\n\"bad header\" = \"v\"\n";
    let config: ChannelConfig = toml::from_str(bad_header).unwrap();
    assert!(config.build().is_err());
}
