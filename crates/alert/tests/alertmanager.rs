//! Alertmanager API v2 shapes and the external alert state machine.

use alert::alertmanager::DEFAULT_RESOLVE_TIMEOUT_MS;
use alert::{
    AlertPhase, ExternalAlerts, GettableSilence, PostableAlert, PostableSilence, SilenceState,
    TransitionKind, fingerprint_hex, label_set_fingerprint,
};
use detectviz::{Labels, Severity};

/// 2026-11-25 01:00:00 UTC.
const NOW_MS: i64 = 1_795_568_400_000;
const MINUTE_MS: i64 = 60_000;

fn posted(json: &str) -> Vec<PostableAlert> {
    serde_json::from_str(json).unwrap()
}

const PROMETHEUS_BODY: &str = r#"[
  {
    "labels": {"alertname": "ProbeFailure", "instance": "https://server.example.org", "severity": "critical"},
    "annotations": {"summary": "BlackBox Probe Failure"},
    "startsAt": "2026-11-25T00:58:00Z",
    "generatorURL": "http://prometheus.example.org:9090/graph?g0.expr=probe_success+%3D%3D+0",
    "someFutureField": true
  }
]"#;

#[test]
fn a_new_alert_fires_with_the_label_set_fingerprint() {
    let mut external = ExternalAlerts::default();
    let alerts = posted(PROMETHEUS_BODY);
    let transitions = external.receive(&alerts[0], NOW_MS).unwrap();
    assert_eq!(transitions.len(), 1);
    let firing = &transitions[0];
    assert_eq!(firing.kind, TransitionKind::Firing);
    assert_eq!(firing.to, AlertPhase::Firing);
    assert_eq!(firing.severity, Severity::Critical);
    assert_eq!(firing.rule_id, "alertmanager");
    assert_eq!(firing.rule_name, "ProbeFailure");
    assert_eq!(
        firing.fingerprint,
        fingerprint_hex(label_set_fingerprint(&alerts[0].labels))
    );
    assert_eq!(firing.active_since_ms, Some(NOW_MS - 2 * MINUTE_MS));

    let reordered = posted(
        r#"[{"labels": {"severity": "critical", "instance": "https://server.example.org", "alertname": "ProbeFailure"}}]"#,
    );
    let again = external.receive(&reordered[0], NOW_MS + MINUTE_MS).unwrap();
    assert!(
        again.is_empty(),
        "same labels in another order are the same alert"
    );
}

#[test]
fn an_ends_at_in_the_past_resolves_the_alert() {
    let mut external = ExternalAlerts::default();
    external
        .receive(&posted(PROMETHEUS_BODY)[0], NOW_MS)
        .unwrap();
    let mut resolved = posted(PROMETHEUS_BODY).remove(0);
    resolved.ends_at = Some(chrono::DateTime::from_timestamp_millis(NOW_MS + 30_000).unwrap());
    let transitions = external.receive(&resolved, NOW_MS + MINUTE_MS).unwrap();
    assert_eq!(transitions.len(), 1);
    assert_eq!(transitions[0].kind, TransitionKind::Resolved);
    assert_eq!(transitions[0].from, AlertPhase::Firing);
    // Re-sending the resolved alert (Prometheus does, for a while) changes nothing.
    assert!(
        external
            .receive(&resolved, NOW_MS + 2 * MINUTE_MS)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_future_ends_at_resolves_on_the_tick_after_it() {
    let mut external = ExternalAlerts::default();
    let mut alert = posted(PROMETHEUS_BODY).remove(0);
    let ends_at_ms = NOW_MS + 10 * MINUTE_MS;
    alert.ends_at = Some(chrono::DateTime::from_timestamp_millis(ends_at_ms).unwrap());
    external.receive(&alert, NOW_MS).unwrap();
    assert!(external.tick(ends_at_ms - 1).is_empty());
    let transitions = external.tick(ends_at_ms + 5_000);
    assert_eq!(transitions.len(), 1);
    assert_eq!(transitions[0].kind, TransitionKind::Resolved);
    assert_eq!(transitions[0].at_ms, ends_at_ms);
}

#[test]
fn an_alert_not_sent_again_within_the_resolve_timeout_resolves() {
    let mut external = ExternalAlerts::default();
    let alert = posted(PROMETHEUS_BODY).remove(0);
    external.receive(&alert, NOW_MS).unwrap();
    external.receive(&alert, NOW_MS + 4 * MINUTE_MS).unwrap();
    assert!(
        external.tick(NOW_MS + 8 * MINUTE_MS).is_empty(),
        "re-sent at 4 min: good until 9"
    );
    let transitions = external.tick(NOW_MS + 9 * MINUTE_MS);
    assert_eq!(transitions.len(), 1);
    assert_eq!(transitions[0].kind, TransitionKind::Resolved);
    assert_eq!(
        transitions[0].at_ms,
        NOW_MS + 4 * MINUTE_MS + DEFAULT_RESOLVE_TIMEOUT_MS
    );

    let refired = external.receive(&alert, NOW_MS + 10 * MINUTE_MS).unwrap();
    assert_eq!(refired[0].kind, TransitionKind::Firing);
    assert_eq!(refired[0].from, AlertPhase::Resolved);
}

#[test]
fn resolved_alerts_are_forgotten_after_the_resolve_timeout() {
    let mut external = ExternalAlerts::new(MINUTE_MS);
    external
        .receive(&posted(PROMETHEUS_BODY)[0], NOW_MS)
        .unwrap();
    external.tick(NOW_MS + MINUTE_MS);
    assert_eq!(external.alerts().count(), 1);
    external.tick(NOW_MS + 2 * MINUTE_MS + 1);
    assert_eq!(external.alerts().count(), 0);
}

#[test]
fn grafana_zero_ends_at_means_still_firing() {
    let mut external = ExternalAlerts::default();
    let alerts = posted(
        r#"[{"labels": {"alertname": "DiskFull"}, "startsAt": "2026-11-25T00:59:00Z", "endsAt": "0001-01-01T00:00:00Z"}]"#,
    );
    let transitions = external.receive(&alerts[0], NOW_MS).unwrap();
    assert_eq!(transitions[0].kind, TransitionKind::Firing);
    assert_eq!(
        transitions[0].severity,
        Severity::Warning,
        "no severity label"
    );
}

#[test]
fn invalid_alerts_are_rejected_and_valid_neighbours_kept() {
    let mut external = ExternalAlerts::default();
    let alerts = posted(
        r#"[
          {"labels": {"job": "node"}},
          {"labels": {"alertname": "Backwards"}, "startsAt": "2026-11-25T01:00:00Z", "endsAt": "2026-11-25T00:00:00Z"},
          {"labels": {"alertname": "Fine"}}
        ]"#,
    );
    let (transitions, rejected) = external.receive_all(&alerts, NOW_MS);
    assert_eq!(transitions.len(), 1);
    assert_eq!(transitions[0].rule_name, "Fine");
    let positions: Vec<usize> = rejected.iter().map(|(position, _)| *position).collect();
    assert_eq!(positions, [0, 1]);
    assert!(rejected[0].1.to_string().contains("alertname"));
    assert!(rejected[1].1.to_string().contains("Backwards"));
}

#[test]
fn gettable_alerts_use_alertmanager_field_names() {
    let mut external = ExternalAlerts::default();
    external
        .receive(&posted(PROMETHEUS_BODY)[0], NOW_MS)
        .unwrap();
    let alert = external.alerts().next().unwrap();
    let gettable = alert.to_gettable(&["ops".to_string()], vec!["s1".to_string()], Vec::new());
    let json = serde_json::to_value(&gettable).unwrap();
    for field in [
        "labels",
        "annotations",
        "startsAt",
        "endsAt",
        "generatorURL",
        "fingerprint",
        "receivers",
        "updatedAt",
    ] {
        assert!(json.get(field).is_some(), "missing {field} in {json}");
    }
    assert_eq!(json["status"]["state"], "suppressed");
    assert_eq!(json["status"]["silencedBy"][0], "s1");
    assert_eq!(json["status"]["inhibitedBy"], serde_json::json!([]));
    assert_eq!(json["receivers"][0]["name"], "ops");
    assert_eq!(json["startsAt"], "2026-11-25T00:58:00Z");
    assert_eq!(json["endsAt"], "2026-11-25T01:05:00Z");
}

#[test]
fn a_postable_silence_becomes_a_silence_and_back() {
    let posted: PostableSilence = serde_json::from_str(
        r#"{
          "matchers": [
            {"name": "alertname", "value": "PortDown", "isRegex": false},
            {"name": "device", "value": "sw-[12]", "isRegex": true, "isEqual": true},
            {"name": "port", "value": "7", "isRegex": false, "isEqual": false}
          ],
          "startsAt": "2026-11-25T01:00:00Z",
          "endsAt": "2026-11-25T02:00:00Z",
          "createdBy": "mei",
          "comment": "switch firmware upgrade"
        }"#,
    )
    .unwrap();
    let silence = posted.to_silence("s-42".to_string()).unwrap();
    let labels = |device: &str, port: &str| -> Labels {
        [
            ("alertname", "PortDown"),
            ("device", device),
            ("port", port),
        ]
        .into_iter()
        .collect()
    };
    assert!(silence.mutes(&labels("sw-1", "3"), NOW_MS));
    assert!(
        !silence.mutes(&labels("sw-1", "7"), NOW_MS),
        "isEqual false"
    );
    assert!(!silence.mutes(&labels("sw-3", "3"), NOW_MS), "regex");
    assert!(
        !silence.mutes(&labels("sw-1", "3"), NOW_MS + 60 * MINUTE_MS),
        "expired"
    );

    let gettable = GettableSilence::from_silence(&silence, NOW_MS, NOW_MS);
    assert_eq!(gettable.status.state, SilenceState::Active);
    let json = serde_json::to_value(&gettable).unwrap();
    assert_eq!(json["status"]["state"], "active");
    assert_eq!(json["createdBy"], "mei");
    assert_eq!(json["matchers"][1]["isRegex"], true);
    assert_eq!(json["matchers"][2]["isEqual"], false);
    assert_eq!(json["id"], "s-42");
}

#[test]
fn silences_without_matchers_or_with_reversed_times_are_rejected() {
    let text = r#"{"matchers": [], "startsAt": "2026-11-25T01:00:00Z", "endsAt": "2026-11-25T02:00:00Z", "createdBy": "mei", "comment": ""}"#;
    let empty: PostableSilence = serde_json::from_str(text).unwrap();
    assert!(
        empty
            .to_silence("s".into())
            .unwrap_err()
            .to_string()
            .contains("matcher")
    );
    let reversed: PostableSilence = serde_json::from_str(
        &text
            .replace("[]", r#"[{"name":"a","value":"b","isRegex":false}]"#)
            .replace("02:00", "00:00"),
    )
    .unwrap();
    assert!(
        reversed
            .to_silence("s".into())
            .unwrap_err()
            .to_string()
            .contains("endsAt")
    );
}
