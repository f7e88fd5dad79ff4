//! `automation_runs` and `tickets` repository tests, each run on SQLite and MariaDB.

use serde_json::json;
use store::{AutomationRunFilter, FinishedAutomationRun, NewAutomationRun, NewTicket, Store};

const NOW_MS: i64 = 1_800_000_000_000;

fn alert_run(run_id: &str, generation: i64, owner: &str) -> NewAutomationRun {
    NewAutomationRun {
        run_id: run_id.to_string(),
        run_key: "0a887e641d7af92d/firing/1799999990000/restart-pump/restart".to_string(),
        generation,
        rule_id: "restart-pump".to_string(),
        action: "restart".to_string(),
        trigger_kind: "alert".to_string(),
        requested_by: None,
        fingerprint: Some("0a887e641d7af92d".to_string()),
        transition_kind: Some("firing".to_string()),
        transition_at_ms: Some(1_799_999_990_000),
        parameters: json!({ "line": "line-3" }),
        owner: owner.to_string(),
        started_at_ms: NOW_MS,
    }
}

async fn a_run_key_is_claimed_once_per_generation(store: &Store) -> anyhow::Result<()> {
    let runs = store.automation_runs();
    assert!(runs.insert_started(&alert_run("r1", 0, "node-1")).await?);
    assert!(
        !runs.insert_started(&alert_run("r2", 0, "node-2")).await?,
        "a second executor cannot claim the same run"
    );
    let finished = FinishedAutomationRun {
        status: "succeeded".to_string(),
        attempts: 2,
        ended_at_ms: NOW_MS + 1_500,
        exit_code: Some(0),
        stdout: "restarted\n… [truncated]".to_string(),
        error: None,
        ..Default::default()
    };
    assert!(runs.finish("r1", &finished).await?);
    assert!(
        !runs.finish("r1", &finished).await?,
        "a finished run is not finished twice"
    );
    let stored = runs.get("r1").await?.expect("stored");
    assert_eq!(stored.run, alert_run("r1", 0, "node-1"));
    assert_eq!(stored.status, "succeeded");
    assert_eq!(stored.attempts, 2);
    assert_eq!(stored.exit_code, Some(0));
    assert_eq!(stored.ended_at_ms, Some(NOW_MS + 1_500));
    assert_eq!(stored.stdout, "restarted\n… [truncated]");
    assert!(runs.get("r2").await?.is_none());
    Ok(())
}

async fn runs_left_started_are_marked_interrupted_per_owner(store: &Store) -> anyhow::Result<()> {
    let runs = store.automation_runs();
    assert!(runs.insert_started(&alert_run("r1", 0, "node-1")).await?);
    let mut other = alert_run("r9", 0, "node-2");
    other.run_key = "other/firing/1/rule/action".to_string();
    assert!(runs.insert_started(&other).await?);
    assert_eq!(runs.mark_interrupted("node-1", NOW_MS + 10).await?, 1);
    let interrupted = runs.get("r1").await?.expect("stored");
    assert_eq!(interrupted.status, "interrupted");
    assert_eq!(interrupted.ended_at_ms, Some(NOW_MS + 10));
    assert!(interrupted.error.unwrap().contains("executor stopped"));
    assert_eq!(runs.get("r9").await?.unwrap().status, "started");
    let late = FinishedAutomationRun {
        status: "succeeded".to_string(),
        ..Default::default()
    };
    assert!(
        !runs.finish("r1", &late).await?,
        "interrupted stays interrupted"
    );

    assert!(
        runs.insert_started(&alert_run("r1-again", 1, "node-1"))
            .await?
    );
    let latest = runs.latest_for_key(&alert_run("x", 0, "").run_key).await?;
    assert_eq!(latest.unwrap().run.run_id, "r1-again");

    let mut manual = alert_run("m1", 0, "node-1");
    manual.run_key = "manual/m1".to_string();
    manual.trigger_kind = "manual".to_string();
    manual.requested_by = Some("operator-ana".to_string());
    manual.fingerprint = None;
    manual.started_at_ms = NOW_MS + 100;
    assert!(runs.insert_started(&manual).await?);
    let all = runs
        .list(&AutomationRunFilter {
            limit: 10,
            ..Default::default()
        })
        .await?;
    assert_eq!(all.len(), 4);
    assert_eq!(all[0].run.requested_by.as_deref(), Some("operator-ana"));
    let interrupted_only = runs
        .list(&AutomationRunFilter {
            status: Some("interrupted".to_string()),
            fingerprint: Some("0a887e641d7af92d".to_string()),
            limit: 10,
            ..Default::default()
        })
        .await?;
    assert_eq!(interrupted_only.len(), 1);
    assert_eq!(interrupted_only[0].run.run_id, "r1");
    Ok(())
}

fn ticket(id: &str) -> NewTicket {
    NewTicket {
        id: id.to_string(),
        fingerprint: "0a887e641d7af92d".to_string(),
        title: "[critical] BoilerHot".to_string(),
        description: "Boiler 2 above 95 °C".to_string(),
        severity: "critical".to_string(),
        assignee: "maintenance".to_string(),
        alert_link: "https://dv.example/alerts/0a887e641d7af92d".to_string(),
        run_id: Some("r1".to_string()),
    }
}

async fn one_open_ticket_per_fingerprint(store: &Store) -> anyhow::Result<()> {
    let tickets = store.tickets();
    let first = tickets.open_or_get(&ticket("t1")).await?;
    assert!(first.created);
    assert_eq!(first.record.status, "open");
    assert_eq!(first.record.ticket, ticket("t1"));
    let again = tickets.open_or_get(&ticket("t2")).await?;
    assert!(!again.created, "the open ticket is reused");
    assert_eq!(again.record.ticket.id, "t1");

    let acknowledged = tickets.update("t1", "acknowledged", "ana").await?;
    assert_eq!(acknowledged.status, "acknowledged");
    assert_eq!(acknowledged.ticket.assignee, "ana");
    assert!(!tickets.open_or_get(&ticket("t3")).await?.created);

    let closed = tickets.update("t1", "closed", "ana").await?;
    assert!(closed.closed_at_ms.is_some());
    let next = tickets.open_or_get(&ticket("t4")).await?;
    assert!(next.created, "a closed ticket frees the alert");
    let reopen = tickets.update("t1", "open", "ana").await.unwrap_err();
    assert!(reopen.to_string().contains("already exists"), "{reopen}");

    tickets.set_external_id("t4", "INC0010042").await?;
    assert_eq!(
        tickets.get("t4").await?.unwrap().external_id.as_deref(),
        Some("INC0010042")
    );
    assert_eq!(tickets.list(Some("closed"), 10).await?.len(), 1);
    assert_eq!(tickets.list(None, 10).await?.len(), 2);
    let missing = tickets.update("nope", "closed", "").await.unwrap_err();
    assert!(missing.to_string().contains("not found"), "{missing}");
    Ok(())
}

store::test_on_both_backends!(
    a_run_key_is_claimed_once_per_generation,
    runs_left_started_are_marked_interrupted_per_owner,
    one_open_ticket_per_fingerprint,
);
