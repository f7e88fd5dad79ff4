//! `Alerts::page` (remote pagination of the console's alert table), on SQLite and MariaDB.

use std::collections::BTreeMap;

use store::{AlertStateRecord, Store};

fn alert(index: i64, state: &str) -> AlertStateRecord {
    AlertStateRecord {
        fingerprint: format!("{index:016x}"),
        rule_id: "r1".into(),
        rule_name: "TemperatureHigh".into(),
        severity: if index % 2 == 0 {
            "critical"
        } else {
            "warning"
        }
        .into(),
        state: state.into(),
        labels: BTreeMap::from([("host".to_string(), format!("h{index}"))]),
        annotations: BTreeMap::new(),
        value: Some(index as f64),
        active_since_ms: Some(1_000),
        updated_at_ms: 1_000 + index,
        resolved_at_ms: None,
    }
}

async fn pages_are_newest_first_with_the_filtered_total(store: &Store) -> anyhow::Result<()> {
    for index in 0..25 {
        let state = if index < 20 { "firing" } else { "resolved" };
        store.alerts().upsert_state(&alert(index, state)).await?;
    }
    let (first, total) = store.alerts().page(None, None, 0, 10).await?;
    assert_eq!(total, 25);
    assert_eq!(first.len(), 10);
    assert_eq!(first[0].current.updated_at_ms, 1_024);

    let (last, total) = store.alerts().page(Some("firing"), None, 15, 10).await?;
    assert_eq!(total, 20);
    let values: Vec<_> = last.iter().map(|alert| alert.current.value).collect();
    assert_eq!(
        values,
        [Some(4.0), Some(3.0), Some(2.0), Some(1.0), Some(0.0)]
    );

    let (critical, total) = store
        .alerts()
        .page(Some("firing"), Some("critical"), 0, 100)
        .await?;
    assert_eq!(total, 10);
    assert!(
        critical
            .iter()
            .all(|alert| alert.current.severity == "critical")
    );
    Ok(())
}

store::test_on_both_backends!(pages_are_newest_first_with_the_filtered_total);
