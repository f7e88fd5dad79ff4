//! `automation_rules`, `alert_analyses` and the closing of tickets when their alert resolves,
//! each run on SQLite and MariaDB.

use serde_json::json;
use store::{AlertAnalysis, NewAutomationRule, NewTicket, Store, StoreError};

fn rule(id: &str, script: &str, by: &str) -> NewAutomationRule {
    NewAutomationRule {
        id: id.to_string(),
        name: format!("Rule {id}"),
        definition: json!({
            "id": id,
            "name": format!("Rule {id}"),
            "trigger": { "matchers": [{ "name": "alertname", "op": "=", "value": "PumpDown" }] },
            "action": { "type": "shell", "name": "restart", "scripts_dir": "/srv/scripts", "script": script },
        }),
        updated_by: by.to_string(),
    }
}

async fn stored_rules_are_created_replaced_listed_and_deleted(store: &Store) -> anyhow::Result<()> {
    let rules = store.automation_rules();
    assert!(rules.list().await?.is_empty());
    let created = rules
        .insert(&rule("restart-pump", "restart.sh", "ada"))
        .await?;
    assert_eq!(created.id, "restart-pump");
    assert_eq!(created.updated_by, "ada");
    assert_eq!(created.definition["action"]["script"], "restart.sh");
    assert!(created.created_at_ms > 0);

    let twice = rules.insert(&rule("restart-pump", "other.sh", "bob")).await;
    assert!(
        matches!(twice, Err(StoreError::Conflict { .. })),
        "{twice:?}"
    );

    let replaced = rules
        .replace(&rule("restart-pump", "restart-v2.sh", "bob"))
        .await?;
    assert_eq!(replaced.definition["action"]["script"], "restart-v2.sh");
    assert_eq!(replaced.updated_by, "bob");
    assert_eq!(replaced.created_at_ms, created.created_at_ms);

    let missing = rules.replace(&rule("no-such-rule", "x.sh", "bob")).await;
    assert!(
        matches!(missing, Err(StoreError::NotFound { .. })),
        "{missing:?}"
    );

    rules.insert(&rule("a-first", "a.sh", "ada")).await?;
    let listed: Vec<String> = rules.list().await?.into_iter().map(|r| r.id).collect();
    assert_eq!(listed, ["a-first", "restart-pump"]);
    assert_eq!(
        rules.get("restart-pump").await?.unwrap().definition,
        replaced.definition
    );

    rules.delete("restart-pump").await?;
    assert!(rules.get("restart-pump").await?.is_none());
    assert!(matches!(
        rules.delete("restart-pump").await,
        Err(StoreError::NotFound { .. })
    ));
    Ok(())
}

async fn llm_answers_are_kept_on_the_alert(store: &Store) -> anyhow::Result<()> {
    let analyses = store.alert_analyses();
    let answer = |run_id: &str, at_ms: i64| AlertAnalysis {
        run_id: run_id.to_string(),
        fingerprint: "0a887e641d7af92d".to_string(),
        rule_id: "explain".to_string(),
        answer: format!("{{\"summary\":\"answer of {run_id}\"}}"),
        created_at_ms: at_ms,
    };
    analyses.insert(&answer("run-1", 1_000)).await?;
    analyses.insert(&answer("run-2", 2_000)).await?;
    analyses.insert(&answer("run-1", 1_000)).await?;
    let kept = analyses.for_alert("0a887e641d7af92d", 10).await?;
    let run_ids: Vec<&str> = kept.iter().map(|a| a.run_id.as_str()).collect();
    assert_eq!(run_ids, ["run-2", "run-1"], "newest first, each run once");
    assert_eq!(kept[0], answer("run-2", 2_000));
    assert!(analyses.for_alert("other", 10).await?.is_empty());
    Ok(())
}

fn ticket(id: &str) -> NewTicket {
    NewTicket {
        id: id.to_string(),
        fingerprint: "f1".to_string(),
        title: "[critical] PumpDown".to_string(),
        ..Default::default()
    }
}

async fn a_resolved_alert_closes_its_ticket_and_a_new_firing_opens_another(
    store: &Store,
) -> anyhow::Result<()> {
    let tickets = store.tickets();
    assert!(
        tickets
            .close_for_resolved_alert("f1", 5_000)
            .await?
            .is_none()
    );
    tickets.open_or_get(&ticket("t1")).await?;
    tickets.update("t1", "acknowledged", "ana").await?;

    let closed = tickets
        .close_for_resolved_alert("f1", 5_000)
        .await?
        .expect("the acknowledged ticket is closed");
    assert_eq!(closed.status, "closed");
    assert_eq!(closed.closed_at_ms, Some(5_000));
    assert_eq!(closed.resolved_at_ms, Some(5_000));
    assert!(tickets.open_for_fingerprint("f1").await?.is_none());
    assert!(
        tickets
            .close_for_resolved_alert("f1", 6_000)
            .await?
            .is_none(),
        "closing twice changes nothing"
    );

    let again = tickets.open_or_get(&ticket("t2")).await?;
    assert!(again.created, "a new firing gets a new ticket");
    assert_eq!(again.record.resolved_at_ms, None);
    assert_eq!(
        tickets.get("t1").await?.unwrap().resolved_at_ms,
        Some(5_000)
    );
    Ok(())
}

store::test_on_both_backends!(
    stored_rules_are_created_replaced_listed_and_deleted,
    llm_answers_are_kept_on_the_alert,
    a_resolved_alert_closes_its_ticket_and_a_new_firing_opens_another,
);
