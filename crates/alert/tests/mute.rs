//! mute_reason(): silences, maintenance windows and inhibition combined.

use alert::{
    InhibitRule, LabelMatcher, MaintenanceWindow, MatchOperator, MuteReason, Silence,
    fingerprint_hex, label_set_fingerprint, mute_reason,
};
use detectviz::Labels;

/// 2026-11-23 00:00 UTC, a Monday.
const MONDAY_MS: i64 = 1_795_392_000_000;
const HOUR_MS: i64 = 3_600_000;

fn port_alert(device: &str) -> Labels {
    [
        ("alertname", "PortDown"),
        ("device", device),
        ("site", "tainan"),
    ]
    .into_iter()
    .collect()
}

fn silence_for(device: &str) -> Silence {
    Silence {
        id: format!("silence-{device}"),
        matchers: vec![LabelMatcher::new("device", MatchOperator::RegexMatch, device).unwrap()],
        starts_at_ms: MONDAY_MS,
        ends_at_ms: MONDAY_MS + HOUR_MS,
        created_by: "ops".to_string(),
        comment: String::new(),
    }
}

fn night_window() -> MaintenanceWindow {
    toml::from_str(
        r#"id = "nightly"
days = ["mon"]
start = "23:00"
end = "01:00"
matchers = [{ name = "site", op = "=", value = "tainan" }]"#,
    )
    .unwrap()
}

fn device_down_rule() -> InhibitRule {
    InhibitRule {
        source_matchers: vec![LabelMatcher::equal("alertname", "DeviceDown")],
        target_matchers: vec![LabelMatcher::equal("alertname", "PortDown")],
        equal: vec!["device".to_string()],
    }
}

#[test]
fn each_mechanism_mutes_and_silences_are_reported_first() {
    let silences = [silence_for("sw-1")];
    let windows = [night_window()];
    let rules = [device_down_rule()];
    let device_down: Labels = [("alertname", "DeviceDown"), ("device", "sw-2")]
        .into_iter()
        .collect();
    let firing = [device_down.clone()];
    let at = |hours: i64| MONDAY_MS + hours * HOUR_MS;

    let silenced = mute_reason(
        &port_alert("sw-1"),
        at(0),
        &silences,
        &windows,
        &rules,
        &firing,
    );
    assert_eq!(
        silenced,
        Some(MuteReason::Silenced {
            silence_id: "silence-sw-1".to_string()
        })
    );
    let maintenance = mute_reason(
        &port_alert("sw-3"),
        at(23),
        &silences,
        &windows,
        &rules,
        &firing,
    );
    assert_eq!(
        maintenance,
        Some(MuteReason::Maintenance {
            window_id: "nightly".to_string()
        })
    );
    let inhibited = mute_reason(
        &port_alert("sw-2"),
        at(2),
        &silences,
        &windows,
        &rules,
        &firing,
    );
    assert_eq!(
        inhibited,
        Some(MuteReason::Inhibited {
            source_fingerprint: fingerprint_hex(label_set_fingerprint(&device_down))
        })
    );
    assert_eq!(
        mute_reason(
            &port_alert("sw-3"),
            at(2),
            &silences,
            &windows,
            &rules,
            &firing
        ),
        None
    );
    assert_eq!(
        mute_reason(
            &port_alert("sw-1"),
            at(2),
            &silences,
            &windows,
            &rules,
            &firing
        ),
        None,
        "the silence expired after an hour"
    );
}
