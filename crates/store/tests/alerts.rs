//! `alerts` repository tests, each run on SQLite and on MariaDB.

use std::collections::BTreeMap;

use store::{AlertAcknowledgement, AlertFilter, AlertStateRecord, Store, StoreError};

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect()
}

fn alert(fingerprint: &str, state: &str, severity: &str, updated_at_ms: i64) -> AlertStateRecord {
    AlertStateRecord {
        fingerprint: fingerprint.to_string(),
        rule_id: "r1".to_string(),
        rule_name: "TemperatureHigh".to_string(),
        severity: severity.to_string(),
        state: state.to_string(),
        labels: labels(&[("alertname", "TemperatureHigh"), ("host", "a")]),
        annotations: labels(&[("summary", "Temperatur über 90 °C")]),
        value: Some(91.5),
        active_since_ms: Some(1_000),
        updated_at_ms,
        resolved_at_ms: None,
    }
}

fn fingerprints(alerts: &[store::AlertRecord]) -> Vec<&str> {
    alerts
        .iter()
        .map(|alert| alert.current.fingerprint.as_str())
        .collect()
}

async fn upsert_state_inserts_then_updates(store: &Store) -> anyhow::Result<()> {
    assert_eq!(store.alerts().get("0a887e641d7af92d").await?, None);

    let pending = alert("0a887e641d7af92d", "pending", "warning", 1_000);
    store.alerts().upsert_state(&pending).await?;
    let stored = store
        .alerts()
        .get("0a887e641d7af92d")
        .await?
        .expect("stored");
    assert_eq!(stored.current, pending);
    assert_eq!(stored.acknowledgement, None);

    let mut resolved = alert("0a887e641d7af92d", "resolved", "critical", 5_000);
    resolved.value = None;
    resolved.active_since_ms = None;
    resolved.resolved_at_ms = Some(5_000);
    resolved.labels = labels(&[("alertname", "TemperatureHigh")]);
    resolved.annotations = BTreeMap::new();
    store.alerts().upsert_state(&resolved).await?;
    let stored = store
        .alerts()
        .get("0a887e641d7af92d")
        .await?
        .expect("stored");
    assert_eq!(stored.current, resolved);
    assert_eq!(store.alerts().list(&AlertFilter::default()).await?.len(), 1);
    Ok(())
}

async fn an_older_state_does_not_overwrite_a_newer_one(store: &Store) -> anyhow::Result<()> {
    let firing = alert("00000000000000f1", "firing", "critical", 2_000);
    store.alerts().upsert_state(&firing).await?;
    let stale = alert("00000000000000f1", "pending", "warning", 1_999);
    store.alerts().upsert_state(&stale).await?;
    let stored = store
        .alerts()
        .get("00000000000000f1")
        .await?
        .expect("stored");
    assert_eq!(
        stored.current, firing,
        "a redelivered older state is ignored"
    );

    let mut same_time = firing.clone();
    same_time.value = Some(99.0);
    store.alerts().upsert_state(&same_time).await?;
    let stored = store
        .alerts()
        .get("00000000000000f1")
        .await?
        .expect("stored");
    assert_eq!(stored.current, same_time, "an equal time replaces");
    Ok(())
}

async fn list_is_newest_first_and_filtered(store: &Store) -> anyhow::Result<()> {
    let mut other_rule = alert("000000000000000c", "firing", "critical", 3_000);
    other_rule.rule_id = "r2".to_string();
    other_rule.labels = labels(&[("alertname", "PumpDown"), ("host", "b")]);
    for record in [
        alert("000000000000000a", "firing", "warning", 1_000),
        alert("000000000000000b", "pending", "warning", 4_000),
        other_rule,
        alert("000000000000000d", "firing", "critical", 2_000),
        alert("000000000000000e", "resolved", "critical", 4_000),
    ] {
        store.alerts().upsert_state(&record).await?;
    }
    let alerts = store.alerts();

    let all = alerts.list(&AlertFilter::default()).await?;
    assert_eq!(
        fingerprints(&all),
        [
            "000000000000000b",
            "000000000000000e",
            "000000000000000c",
            "000000000000000d",
            "000000000000000a"
        ],
        "newest first, ties by fingerprint"
    );

    let firing = AlertFilter {
        state: Some("firing".to_string()),
        ..AlertFilter::default()
    };
    assert_eq!(
        fingerprints(&alerts.list(&firing).await?),
        ["000000000000000c", "000000000000000d", "000000000000000a"]
    );
    let firing_critical = AlertFilter {
        severity: Some("critical".to_string()),
        ..firing.clone()
    };
    assert_eq!(
        fingerprints(&alerts.list(&firing_critical).await?),
        ["000000000000000c", "000000000000000d"]
    );
    let by_rule = AlertFilter {
        rule_id: Some("r2".to_string()),
        ..AlertFilter::default()
    };
    assert_eq!(
        fingerprints(&alerts.list(&by_rule).await?),
        ["000000000000000c"]
    );
    let limited = AlertFilter {
        limit: Some(2),
        ..AlertFilter::default()
    };
    assert_eq!(
        fingerprints(&alerts.list(&limited).await?),
        ["000000000000000b", "000000000000000e"]
    );
    Ok(())
}

async fn list_filters_on_labels(store: &Store) -> anyhow::Result<()> {
    let mut on_b = alert("00000000000000b1", "firing", "critical", 3_000);
    on_b.labels = labels(&[("alertname", "TemperatureHigh"), ("host", "b")]);
    for record in [
        alert("00000000000000a1", "firing", "critical", 1_000),
        on_b,
        alert("00000000000000a2", "firing", "warning", 2_000),
    ] {
        store.alerts().upsert_state(&record).await?;
    }
    let on_host = |host: &str, limit: Option<u32>| AlertFilter {
        label_equals: vec![
            ("alertname".to_string(), "TemperatureHigh".to_string()),
            ("host".to_string(), host.to_string()),
        ],
        limit,
        ..AlertFilter::default()
    };
    let alerts = store.alerts();
    assert_eq!(
        fingerprints(&alerts.list(&on_host("a", None)).await?),
        ["00000000000000a2", "00000000000000a1"]
    );
    assert_eq!(
        fingerprints(&alerts.list(&on_host("a", Some(1))).await?),
        ["00000000000000a2"],
        "the limit counts alerts after the label filter"
    );
    assert_eq!(
        fingerprints(&alerts.list(&on_host("b", Some(1))).await?),
        ["00000000000000b1"]
    );
    assert!(alerts.list(&on_host("c", None)).await?.is_empty());
    Ok(())
}

async fn acknowledge_survives_state_updates_until_cleared(store: &Store) -> anyhow::Result<()> {
    let fingerprint = "0a887e641d7af92d";
    store
        .alerts()
        .upsert_state(&alert(fingerprint, "firing", "warning", 1_000))
        .await?;
    store
        .alerts()
        .acknowledge(fingerprint, "mei", 1_500, "on my way", "warning")
        .await?;
    let expected = AlertAcknowledgement {
        by: "mei".to_string(),
        at_ms: 1_500,
        comment: "on my way".to_string(),
        severity_at_ack: "warning".to_string(),
    };
    let stored = store.alerts().get(fingerprint).await?.expect("stored");
    assert_eq!(stored.acknowledgement, Some(expected.clone()));

    let escalated = alert(fingerprint, "firing", "critical", 2_000);
    store.alerts().upsert_state(&escalated).await?;
    let stored = store.alerts().get(fingerprint).await?.expect("stored");
    assert_eq!(stored.current, escalated);
    assert_eq!(
        stored.acknowledgement,
        Some(expected),
        "kept by upsert_state"
    );

    store.alerts().clear_acknowledgement(fingerprint).await?;
    let stored = store.alerts().get(fingerprint).await?.expect("stored");
    assert_eq!(stored.acknowledgement, None);
    assert_eq!(stored.current, escalated);
    store.alerts().clear_acknowledgement(fingerprint).await?;
    Ok(())
}

async fn acknowledging_an_unknown_alert_is_not_found(store: &Store) -> anyhow::Result<()> {
    let error = store
        .alerts()
        .acknowledge("ffffffffffffffff", "mei", 1_000, "", "warning")
        .await
        .expect_err("no such alert");
    assert!(
        matches!(error, StoreError::NotFound { .. }),
        "got {error:?}"
    );
    assert_eq!(error.to_string(), "alert \"ffffffffffffffff\" not found");
    let error = store
        .alerts()
        .clear_acknowledgement("ffffffffffffffff")
        .await
        .expect_err("no such alert");
    assert!(
        matches!(error, StoreError::NotFound { .. }),
        "got {error:?}"
    );
    Ok(())
}

store::test_on_both_backends!(
    upsert_state_inserts_then_updates,
    an_older_state_does_not_overwrite_a_newer_one,
    list_is_newest_first_and_filtered,
    list_filters_on_labels,
    acknowledge_survives_state_updates_until_cleared,
    acknowledging_an_unknown_alert_is_not_found,
);
