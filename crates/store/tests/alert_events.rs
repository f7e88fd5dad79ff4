//! `alert_events` repository tests, each run on SQLite and on MariaDB.

use serde_json::json;
use store::{NewAlertEvent, Store};

fn event(event_id: &str, fingerprint: &str, kind: &str, at_ms: i64) -> NewAlertEvent {
    NewAlertEvent {
        event_id: event_id.to_string(),
        fingerprint: fingerprint.to_string(),
        kind: kind.to_string(),
        from_state: "pending".to_string(),
        to_state: "firing".to_string(),
        severity: "critical".to_string(),
        previous_severity: Some("warning".to_string()),
        value: Some(91.5),
        at_ms,
        payload: json!({ "fingerprint": fingerprint, "kind": kind, "at_ms": at_ms }),
    }
}

fn event_ids(events: &[store::AlertEvent]) -> Vec<&str> {
    events.iter().map(|event| event.event_id.as_str()).collect()
}

async fn record_round_trips(store: &Store) -> anyhow::Result<()> {
    let mut without_optionals = event("e1", "0a887e641d7af92d", "pending", 1_000);
    without_optionals.previous_severity = None;
    without_optionals.value = None;
    assert!(store.alert_events().record(&without_optionals).await?);
    let with_optionals = event("e2", "0a887e641d7af92d", "firing", 2_000);
    assert!(store.alert_events().record(&with_optionals).await?);

    let history = store.alert_events().history("0a887e641d7af92d", 10).await?;
    assert_eq!(history.len(), 2);
    assert!(history[0].id > 0);
    assert!(history[1].id > history[0].id);
    for (stored, recorded) in history.iter().zip([without_optionals, with_optionals]) {
        assert_eq!(stored.event_id, recorded.event_id);
        assert_eq!(stored.fingerprint, recorded.fingerprint);
        assert_eq!(stored.kind, recorded.kind);
        assert_eq!(stored.from_state, recorded.from_state);
        assert_eq!(stored.to_state, recorded.to_state);
        assert_eq!(stored.severity, recorded.severity);
        assert_eq!(stored.previous_severity, recorded.previous_severity);
        assert_eq!(stored.value, recorded.value);
        assert_eq!(stored.at_ms, recorded.at_ms);
        assert_eq!(stored.payload, recorded.payload);
    }
    Ok(())
}

async fn recording_the_same_event_id_twice_is_a_no_op(store: &Store) -> anyhow::Result<()> {
    let first = event("1764036000000-0", "0a887e641d7af92d", "firing", 1_000);
    assert!(store.alert_events().record(&first).await?);
    let mut redelivered = first.clone();
    redelivered.kind = "resolved".to_string();
    redelivered.at_ms = 9_000;
    assert!(!store.alert_events().record(&redelivered).await?);
    assert!(!store.alert_events().record(&first).await?);

    let history = store.alert_events().history("0a887e641d7af92d", 10).await?;
    assert_eq!(history.len(), 1, "one row for the event id");
    assert_eq!(history[0].kind, "firing");
    assert_eq!(history[0].at_ms, 1_000);
    assert_eq!(store.alert_events().recent(10, 0).await?.len(), 1);

    assert!(
        store
            .alert_events()
            .record(&event(
                "1764036000000-1",
                "0a887e641d7af92d",
                "resolved",
                2_000
            ))
            .await?,
        "a new event id is still recorded after a duplicate"
    );
    Ok(())
}

async fn history_is_oldest_first_per_alert(store: &Store) -> anyhow::Result<()> {
    for (event_id, fingerprint, at_ms) in [
        ("e3", "000000000000000a", 3_000),
        ("e1", "000000000000000a", 1_000),
        ("other", "000000000000000b", 2_000),
        ("e4", "000000000000000a", 4_000),
        ("e2", "000000000000000a", 2_000),
        ("e4-same-time", "000000000000000a", 4_000),
    ] {
        store
            .alert_events()
            .record(&event(event_id, fingerprint, "firing", at_ms))
            .await?;
    }
    let events = store.alert_events();
    assert_eq!(
        event_ids(&events.history("000000000000000a", 100).await?),
        ["e1", "e2", "e3", "e4", "e4-same-time"]
    );
    assert_eq!(
        event_ids(&events.history("000000000000000a", 2).await?),
        ["e4", "e4-same-time"],
        "the limit keeps the latest events"
    );
    assert_eq!(
        event_ids(&events.history("000000000000000b", 100).await?),
        ["other"]
    );
    assert!(events.history("ffffffffffffffff", 100).await?.is_empty());
    Ok(())
}

async fn recent_is_newest_first_since(store: &Store) -> anyhow::Result<()> {
    for (event_id, fingerprint, at_ms) in [
        ("a1", "000000000000000a", 1_000),
        ("b3", "000000000000000b", 3_000),
        ("a2", "000000000000000a", 2_000),
        ("b4", "000000000000000b", 4_000),
    ] {
        store
            .alert_events()
            .record(&event(event_id, fingerprint, "firing", at_ms))
            .await?;
    }
    let events = store.alert_events();
    assert_eq!(
        event_ids(&events.recent(100, 0).await?),
        ["b4", "b3", "a2", "a1"]
    );
    assert_eq!(
        event_ids(&events.recent(100, 2_000).await?),
        ["b4", "b3", "a2"],
        "since is inclusive"
    );
    assert_eq!(event_ids(&events.recent(2, 0).await?), ["b4", "b3"]);
    assert!(events.recent(100, 4_001).await?.is_empty());
    Ok(())
}

store::test_on_both_backends!(
    record_round_trips,
    recording_the_same_event_id_twice_is_a_no_op,
    history_is_oldest_first_per_alert,
    recent_is_newest_first_since,
);
