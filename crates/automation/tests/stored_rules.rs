//! The executor with what the store says: rules stored through the API apply to the next
//! transition without a restart (created, replaced, deleted); a resolved alert closes its
//! ticket and a new firing opens another; an llm answer is kept on the alert.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::{Arc, Mutex};

use automation::sample::sample_transition;
use automation::{AutomationRule, Executor, ExecutorConfig, RunRecord, RunStatus, TaskRunner};
use detectviz::{AlertPhase, AlertTransition, TransitionKind};
use serde_json::json;

fn write_script(directory: &Path, name: &str, body: &str) {
    let path = directory.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

async fn temporary_store(directory: &Path) -> store::Store {
    let url = format!("sqlite://{}", directory.join("detectviz.db").display());
    let store = store::Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    store
}

async fn executor(
    directory: &Path,
    rules: Vec<AutomationRule>,
    scripts_dir: Option<&Path>,
) -> (Arc<Executor>, store::Store) {
    let bus = eventbus::connect(&eventbus::BusConfig {
        embedded_path: directory.join("bus.db"),
        ..Default::default()
    })
    .await
    .unwrap();
    let store = temporary_store(directory).await;
    let config = ExecutorConfig {
        stored_rules_scripts_dir: scripts_dir.map(Path::to_path_buf),
        ..ExecutorConfig::default()
    };
    let executor = Executor::new(bus, store.clone(), rules, config, Default::default()).unwrap();
    (Arc::new(executor), store)
}

/// The sample alert firing (or resolving) at `at_ms`: each is a new transition.
fn transition(kind: TransitionKind, at_ms: i64) -> AlertTransition {
    let mut transition = sample_transition();
    transition.kind = kind;
    transition.at_ms = at_ms;
    if kind == TransitionKind::Resolved {
        transition.from = AlertPhase::Firing;
        transition.to = AlertPhase::Inactive;
    }
    transition
}

fn stored_shell_rule(id: &str, scripts_dir: &Path, script: &str) -> store::NewAutomationRule {
    store::NewAutomationRule {
        id: id.to_string(),
        name: format!("Stored {id}"),
        definition: json!({
            "id": id,
            "name": format!("Stored {id}"),
            "trigger": {"matchers": [{"name": "alertname", "op": "=", "value": "SpindleTemperatureHigh"}]},
            "action": {"type": "shell", "name": id, "scripts_dir": scripts_dir, "script": script},
        }),
        updated_by: "ada".to_string(),
    }
}

fn names(records: &[RunRecord]) -> Vec<(String, String)> {
    records
        .iter()
        .map(|record| (record.rule_id.clone(), record.stdout.clone()))
        .collect()
}

#[tokio::test]
async fn stored_rules_apply_to_the_next_transition_without_a_restart() {
    let directory = tempfile::tempdir().unwrap();
    let scripts = directory.path().join("scripts");
    std::fs::create_dir(&scripts).unwrap();
    write_script(&scripts, "first.sh", "echo first");
    write_script(&scripts, "second.sh", "echo second");
    let (executor, store) = executor(directory.path(), Vec::new(), Some(&scripts)).await;
    let tasks = TaskRunner::new(executor.clone());

    let firing = |at_ms| transition(TransitionKind::Firing, at_ms);
    assert!(
        executor
            .handle_transition(&firing(1_000))
            .await
            .unwrap()
            .is_empty()
    );

    let rules = store.automation_rules();
    rules
        .insert(&stored_shell_rule("stored", &scripts, "first.sh"))
        .await
        .unwrap();
    let runs = executor.handle_transition(&firing(2_000)).await.unwrap();
    assert_eq!(
        names(&runs),
        [("stored".to_string(), "first\n".to_string())]
    );
    let actions = tasks.actions().await.unwrap();
    assert_eq!(actions.len(), 1);
    assert_eq!(actions[0].rule_id, "stored");

    rules
        .replace(&stored_shell_rule("stored", &scripts, "second.sh"))
        .await
        .unwrap();
    let runs = executor.handle_transition(&firing(3_000)).await.unwrap();
    assert_eq!(
        names(&runs),
        [("stored".to_string(), "second\n".to_string())]
    );

    // A stored rule that stopped building (its script is gone) is left out; the others run.
    rules
        .insert(&stored_shell_rule("broken", &scripts, "first.sh"))
        .await
        .unwrap();
    std::fs::remove_file(scripts.join("first.sh")).unwrap();
    let runs = executor.handle_transition(&firing(4_000)).await.unwrap();
    assert_eq!(
        names(&runs),
        [("stored".to_string(), "second\n".to_string())]
    );

    rules.delete("stored").await.unwrap();
    rules.delete("broken").await.unwrap();
    assert!(
        executor
            .handle_transition(&firing(5_000))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(tasks.actions().await.unwrap().is_empty());
}

/// An ITSM answering each ticket with a new id; returns its URL and the bodies it got.
async fn start_itsm() -> (String, Arc<Mutex<Vec<serde_json::Value>>>) {
    let received: Arc<Mutex<Vec<serde_json::Value>>> = Arc::default();
    let kept = received.clone();
    let app = axum::Router::new().route(
        "/incidents",
        axum::routing::post(move |body: String| {
            let kept = kept.clone();
            async move {
                let mut received = kept.lock().unwrap();
                received.push(serde_json::from_str(&body).unwrap());
                json!({"id": format!("INC-{}", received.len())}).to_string()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{address}/incidents"), received)
}

fn ticket_rule(url: &str, on: &str) -> AutomationRule {
    toml::from_str(&format!(
        r#"
id = "incident"
name = "Open an incident"
trigger = {{ min_severity = "critical", on = "{on}" }}
action = {{ type = "ticket", name = "incident", url = "{url}", assignee = "maintenance" }}
"#
    ))
    .unwrap()
}

#[tokio::test]
async fn a_resolved_alert_closes_its_ticket_and_a_new_firing_opens_another() {
    let directory = tempfile::tempdir().unwrap();
    let (itsm_url, received) = start_itsm().await;
    // The rule runs on firing only: closing on resolve does not depend on the rules.
    let rules = vec![ticket_rule(&itsm_url, "firing")];
    let (executor, store) = executor(directory.path(), rules, None).await;
    let tickets = store.tickets();

    let runs = executor
        .handle_transition(&transition(TransitionKind::Firing, 1_000))
        .await
        .unwrap();
    assert_eq!(runs[0].status, RunStatus::Succeeded, "{runs:?}");
    let first = tickets
        .open_for_fingerprint("a1c3e5f7a9b1c3e5")
        .await
        .unwrap()
        .expect("a ticket is open");
    assert_eq!(first.external_id.as_deref(), Some("INC-1"));
    tickets
        .update(&first.ticket.id, "acknowledged", "ana")
        .await
        .unwrap();

    let resolved = transition(TransitionKind::Resolved, 2_000);
    assert!(
        executor
            .handle_transition(&resolved)
            .await
            .unwrap()
            .is_empty()
    );
    let closed = tickets.get(&first.ticket.id).await.unwrap().unwrap();
    assert_eq!(closed.status, "closed");
    assert_eq!(closed.resolved_at_ms, Some(2_000));
    assert_eq!(closed.closed_at_ms, Some(2_000));
    // The same resolved transition again (a redelivery) changes nothing.
    executor.handle_transition(&resolved).await.unwrap();
    assert_eq!(
        tickets.get(&first.ticket.id).await.unwrap().unwrap(),
        closed
    );

    executor
        .handle_transition(&transition(TransitionKind::Firing, 3_000))
        .await
        .unwrap();
    let second = tickets
        .open_for_fingerprint("a1c3e5f7a9b1c3e5")
        .await
        .unwrap()
        .expect("the new firing opened a new ticket");
    assert_ne!(second.ticket.id, first.ticket.id);
    assert_eq!(second.status, "open");
    assert_eq!(second.external_id.as_deref(), Some("INC-2"));
    assert_eq!(received.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn a_ticket_rule_on_resolved_transitions_closes_and_never_opens() {
    let directory = tempfile::tempdir().unwrap();
    let (itsm_url, received) = start_itsm().await;
    let rules = vec![ticket_rule(&itsm_url, "both")];
    let (executor, store) = executor(directory.path(), rules, None).await;

    let resolved_first = executor
        .handle_transition(&transition(TransitionKind::Resolved, 500))
        .await
        .unwrap();
    assert_eq!(resolved_first[0].status, RunStatus::Succeeded);
    assert!(
        resolved_first[0].stdout.contains("no open ticket"),
        "{resolved_first:?}"
    );
    let open = store.tickets().list(None, 10).await.unwrap();
    assert!(open.is_empty(), "a resolved alert gets no ticket: {open:?}");

    executor
        .handle_transition(&transition(TransitionKind::Firing, 1_000))
        .await
        .unwrap();
    let runs = executor
        .handle_transition(&transition(TransitionKind::Resolved, 2_000))
        .await
        .unwrap();
    assert_eq!(runs[0].status, RunStatus::Succeeded);
    let tickets = store.tickets().list(None, 10).await.unwrap();
    assert_eq!(tickets.len(), 1);
    assert_eq!(tickets[0].status, "closed");
    assert_eq!(tickets[0].resolved_at_ms, Some(2_000));
    assert_eq!(
        received.lock().unwrap().len(),
        1,
        "nothing forwarded on resolve"
    );
}

/// Answers `POST /v1/analyze` in the llm service's documented shape.
async fn start_llm_peer() -> String {
    let app = axum::Router::new().route(
        "/v1/analyze",
        axum::routing::post(|body: String| async move {
            let request: serde_json::Value = serde_json::from_str(&body).unwrap();
            let text = request["text"].as_str().unwrap_or_default();
            json!({
                "summary": format!("coolant problem ({} chars read)", text.len()),
                "keywords": ["coolant"], "categories": ["thermal"], "severity": "critical",
                "sentiment": "negative", "next_steps": ["check pump P7"],
                "language": request["language"], "backend": "peer", "model": "test",
            })
            .to_string()
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{address}")
}

#[tokio::test]
async fn an_llm_answer_is_kept_on_the_alert_and_the_run() {
    let directory = tempfile::tempdir().unwrap();
    let llm_url = start_llm_peer().await;
    let rule: AutomationRule = toml::from_str(&format!(
        r#"
id = "explain"
name = "Explain the alert"
trigger = {{}}
action = {{ type = "llm", name = "explain", url = "{llm_url}", language = "en" }}
"#
    ))
    .unwrap();
    let (executor, store) = executor(directory.path(), vec![rule], None).await;
    let runs = executor
        .handle_transition(&transition(TransitionKind::Firing, 1_000))
        .await
        .unwrap();
    assert_eq!(runs[0].status, RunStatus::Succeeded, "{runs:?}");

    let analyses = store
        .alert_analyses()
        .for_alert("a1c3e5f7a9b1c3e5", 10)
        .await
        .unwrap();
    assert_eq!(analyses.len(), 1);
    assert_eq!(analyses[0].run_id, runs[0].run_id);
    let answer: serde_json::Value = serde_json::from_str(&analyses[0].answer).unwrap();
    assert!(
        answer["summary"]
            .as_str()
            .unwrap()
            .starts_with("coolant problem")
    );
    let run = store
        .automation_runs()
        .get(&runs[0].run_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(run.answer.as_deref(), Some(analyses[0].answer.as_str()));
}
