//! `alert_rules` repository tests, each run on SQLite and on MariaDB.

use serde_json::json;
use store::{AlertRuleSource, NewAlertRule, Store, StoreError};

fn rule(id: &str, enabled: bool) -> NewAlertRule {
    NewAlertRule {
        id: id.to_string(),
        name: format!("Rule {id}"),
        enabled,
        definition: json!({
            "id": id,
            "name": format!("Rule {id}"),
            "selector": { "measurement": "plc", "field": "temp" },
            "levels": [{ "severity": "critical", "above": 90.5 }],
            "annotations": { "summary": "zu heiß" },
        }),
        source: AlertRuleSource::Api,
        updated_by: "alice".to_string(),
    }
}

async fn upsert_inserts_then_updates(store: &Store) -> anyhow::Result<()> {
    assert_eq!(store.alert_rules().get("r1").await?, None);

    let created = store.alert_rules().upsert(&rule("r1", true)).await?;
    assert_eq!(created.id, "r1");
    assert_eq!(created.name, "Rule r1");
    assert!(created.enabled);
    assert_eq!(created.definition, rule("r1", true).definition);
    assert_eq!(created.source, AlertRuleSource::Api);
    assert_eq!(created.updated_by, "alice");
    assert_eq!(created.created_at_ms, created.updated_at_ms);
    assert_eq!(store.alert_rules().get("r1").await?, Some(created.clone()));

    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let mut changed = rule("r1", false);
    changed.name = "Renamed".to_string();
    changed.definition = json!({ "id": "r1", "name": "Renamed" });
    changed.source = AlertRuleSource::File;
    changed.updated_by = "bob".to_string();
    let updated = store.alert_rules().upsert(&changed).await?;
    assert_eq!(updated.name, "Renamed");
    assert!(!updated.enabled);
    assert_eq!(updated.definition, json!({ "id": "r1", "name": "Renamed" }));
    assert_eq!(updated.source, AlertRuleSource::File);
    assert_eq!(updated.updated_by, "bob");
    assert_eq!(
        updated.created_at_ms, created.created_at_ms,
        "creation time kept"
    );
    assert!(updated.updated_at_ms > created.updated_at_ms);
    assert_eq!(store.alert_rules().get("r1").await?, Some(updated));
    assert_eq!(store.alert_rules().list().await?.len(), 1);
    Ok(())
}

async fn list_is_by_id_and_list_enabled_skips_disabled(store: &Store) -> anyhow::Result<()> {
    for (id, enabled) in [("r3", true), ("r1", false), ("r2", true), ("R0", true)] {
        store.alert_rules().upsert(&rule(id, enabled)).await?;
    }
    let ids = |rules: Vec<store::AlertRuleRecord>| -> Vec<String> {
        rules.into_iter().map(|rule| rule.id).collect()
    };
    assert_eq!(
        ids(store.alert_rules().list().await?),
        ["R0", "r1", "r2", "r3"]
    );
    assert_eq!(
        ids(store.alert_rules().list_enabled().await?),
        ["R0", "r2", "r3"]
    );

    store.alert_rules().upsert(&rule("r3", false)).await?;
    assert_eq!(ids(store.alert_rules().list_enabled().await?), ["R0", "r2"]);
    Ok(())
}

async fn delete_removes_and_reports_missing(store: &Store) -> anyhow::Result<()> {
    store.alert_rules().upsert(&rule("r1", true)).await?;
    store.alert_rules().upsert(&rule("r2", true)).await?;
    store.alert_rules().delete("r1").await?;
    assert_eq!(store.alert_rules().get("r1").await?, None);
    assert_eq!(store.alert_rules().list().await?.len(), 1);

    let error = store
        .alert_rules()
        .delete("r1")
        .await
        .expect_err("already deleted");
    assert!(
        matches!(error, StoreError::NotFound { .. }),
        "got {error:?}"
    );
    assert_eq!(error.to_string(), "alert rule \"r1\" not found");
    Ok(())
}

#[test]
fn source_names_round_trip() {
    for source in [AlertRuleSource::Api, AlertRuleSource::File] {
        assert_eq!(AlertRuleSource::parse(source.as_str()), Some(source));
    }
    assert_eq!(AlertRuleSource::parse("API"), None);
}

store::test_on_both_backends!(
    upsert_inserts_then_updates,
    list_is_by_id_and_list_enabled_skips_disabled,
    delete_removes_and_reports_missing,
);
