//! `reports` and `report_queries` repository tests, each run on SQLite and MariaDB.

use std::collections::BTreeMap;

use serde_json::json;
use store::{AlertStateRecord, NewAlertEvent, NewNotification, ReportRecord, Store, StoreError};

const HOUR_MS: i64 = 3_600_000;
const START_MS: i64 = 1_800_000_000_000;

fn report(id: &str, created_at_ms: i64) -> ReportRecord {
    ReportRecord {
        id: id.to_string(),
        kind: "daily".to_string(),
        title: "每日告警報告".to_string(),
        language: "zh-TW".to_string(),
        period_from_ms: START_MS,
        period_to_ms: START_MS + 24 * HOUR_MS,
        formats: vec!["html".into(), "csv".into(), "pdf".into()],
        summary_backend: "fallback".to_string(),
        created_by: "scheduler:daily".to_string(),
        created_at_ms,
    }
}

async fn reports_are_recorded_listed_newest_first_and_unique(store: &Store) -> anyhow::Result<()> {
    store.reports().record(&report("r1", START_MS)).await?;
    store.reports().record(&report("r2", START_MS + 1)).await?;
    let listed = store.reports().list(10).await?;
    assert_eq!(
        listed.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        ["r2", "r1"]
    );
    assert_eq!(
        store.reports().get("r1").await?,
        Some(report("r1", START_MS))
    );
    assert_eq!(store.reports().get("missing").await?, None);
    let again = store.reports().record(&report("r1", START_MS)).await;
    assert!(
        matches!(again, Err(StoreError::Conflict { .. })),
        "{again:?}"
    );
    Ok(())
}

fn alert_state(fingerprint: &str, rule: &str, active_since_ms: i64) -> AlertStateRecord {
    AlertStateRecord {
        fingerprint: fingerprint.to_string(),
        rule_id: format!("{rule}-id"),
        rule_name: rule.to_string(),
        severity: "critical".to_string(),
        state: "firing".to_string(),
        labels: BTreeMap::new(),
        annotations: BTreeMap::new(),
        value: Some(95.0),
        active_since_ms: Some(active_since_ms),
        updated_at_ms: active_since_ms,
        resolved_at_ms: None,
    }
}

fn event(id: &str, fingerprint: &str, kind: &str, at_ms: i64) -> NewAlertEvent {
    NewAlertEvent {
        event_id: id.to_string(),
        fingerprint: fingerprint.to_string(),
        kind: kind.to_string(),
        from_state: "pending".to_string(),
        to_state: kind.to_string(),
        severity: "critical".to_string(),
        previous_severity: None,
        value: Some(95.0),
        at_ms,
        payload: json!({}),
    }
}

async fn report_queries_read_the_period_only(store: &Store) -> anyhow::Result<()> {
    store
        .alerts()
        .upsert_state(&alert_state("00000000000000a1", "BoilerHot", START_MS))
        .await?;
    let events = [
        event("e0", "00000000000000a1", "firing", START_MS - HOUR_MS),
        event("e1", "00000000000000a1", "firing", START_MS),
        event("e2", "00000000000000a1", "resolved", START_MS + HOUR_MS),
        event("e3", "00000000000000ff", "firing", START_MS + 2 * HOUR_MS),
        event("e4", "00000000000000a1", "firing", START_MS + 24 * HOUR_MS),
    ];
    for event in &events {
        store.alert_events().record(event).await?;
    }
    let read = store
        .report_queries()
        .alert_events(START_MS, START_MS + 24 * HOUR_MS, 100)
        .await?;
    let kinds: Vec<_> = read.iter().map(|e| (e.kind.as_str(), e.at_ms)).collect();
    assert_eq!(
        kinds,
        [
            ("firing", START_MS),
            ("resolved", START_MS + HOUR_MS),
            ("firing", START_MS + 2 * HOUR_MS)
        ]
    );
    assert_eq!(read[0].rule_name.as_deref(), Some("BoilerHot"));
    assert_eq!(
        read[2].rule_name, None,
        "an alert row that is gone has no rule"
    );

    store
        .alerts()
        .acknowledge(
            "00000000000000a1",
            "ops",
            START_MS + 600_000,
            "",
            "critical",
        )
        .await?;
    let acknowledgements = store
        .report_queries()
        .acknowledgements(START_MS, START_MS + HOUR_MS)
        .await?;
    assert_eq!(acknowledgements.len(), 1);
    assert_eq!(acknowledgements[0].active_since_ms, START_MS);
    assert_eq!(acknowledgements[0].acknowledged_at_ms, START_MS + 600_000);

    for (key, channel) in [("n1", "email"), ("n2", "email"), ("n3", "slack")] {
        let claim = store
            .notifications()
            .claim_or_create(&NewNotification {
                idempotency_key: key.to_string(),
                group_key: "g".to_string(),
                receiver: "plant".to_string(),
                channel: channel.to_string(),
                contact_id: String::new(),
                payload: json!({}),
                next_attempt_at_ms: None,
                now_ms: START_MS + 1_000,
            })
            .await?;
        if key == "n2" {
            store
                .notifications()
                .mark_failed(claim.record.id, "smtp 550", START_MS + 2_000)
                .await?;
        }
    }
    let counts = store
        .report_queries()
        .notification_counts(START_MS, START_MS + HOUR_MS)
        .await?;
    let counts: Vec<_> = counts
        .iter()
        .map(|c| (c.channel.as_str(), c.status.as_str(), c.count))
        .collect();
    assert_eq!(
        counts,
        [
            ("email", "failed", 1),
            ("email", "pending", 1),
            ("slack", "pending", 1)
        ]
    );
    Ok(())
}

store::test_on_both_backends!(
    reports_are_recorded_listed_newest_first_and_unique,
    report_queries_read_the_period_only,
);
