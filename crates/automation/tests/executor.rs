//! The executor end to end on an embedded bus: a firing transition on `dv:alerts` runs the
//! script once, a redelivered transition does not run it again, and the runs are published on
//! `dv:automation`; retries, timeouts and cooldowns through `Executor::handle_transition`.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use automation::sample::sample_transition;
use automation::{
    AUTOMATION_STREAM, AutomationRule, Executor, ExecutorConfig, RunError, RunRecord, RunStatus,
    run_automation,
};
use detectviz::Event;
use eventbus::{BusConfig, CancellationToken, EventBus, ReplayFrom};

fn write_script(directory: &Path, name: &str, body: &str) {
    let path = directory.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn rule(scripts_dir: &Path, script: &str, extra: &str) -> AutomationRule {
    let text = format!(
        r#"
id = "restart-pump"
name = "Restart the coolant pump"
parameters = {{ work_dir = "{work_dir}", line = "{{{{labels.line}}}}" }}
timeout_s = 5
{extra}

[trigger]
matchers = [{{ name = "alertname", op = "=", value = "SpindleTemperatureHigh" }}]
min_severity = "critical"

[action]
type = "shell"
name = "restart"
scripts_dir = "{work_dir}"
script = "{script}"
args = ["{{{{labels.line}}}}"]
"#,
        work_dir = scripts_dir.display()
    );
    toml::from_str(&text).unwrap()
}

fn fast_config() -> ExecutorConfig {
    ExecutorConfig {
        retry_initial_backoff_ms: 10,
        retry_max_backoff_ms: 50,
        ..ExecutorConfig::default()
    }
}

async fn embedded_bus(directory: &Path) -> EventBus {
    eventbus::connect(&BusConfig {
        embedded_path: directory.join("bus.db"),
        embedded_poll_ms: 20,
        block_ms: 100,
        ..Default::default()
    })
    .await
    .unwrap()
}

async fn temporary_store(directory: &Path) -> store::Store {
    let url = format!("sqlite://{}", directory.join("detectviz.db").display());
    let store = store::Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    store
}

async fn run_records(bus: &EventBus) -> Vec<RunRecord> {
    bus.replay(AUTOMATION_STREAM, ReplayFrom::Id(Default::default()), 1_000)
        .await
        .unwrap()
        .into_iter()
        .map(|entry| entry.event().unwrap().data_as::<RunRecord>().unwrap())
        .collect()
}

async fn wait_for_finished_runs(bus: &EventBus, expected: usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let records = run_records(bus).await;
        let finished = records
            .iter()
            .filter(|record| record.status.is_finished())
            .count();
        if finished >= expected || Instant::now() > deadline {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn wait_until_consumed(bus: &EventBus) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        let info = bus.info("dv:alerts").await.unwrap();
        let consumed = info
            .groups
            .iter()
            .any(|group| group.name == "automation" && group.lag == 0 && group.pending == 0);
        if consumed {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("dv:alerts was not consumed in time");
}

#[tokio::test]
async fn a_firing_transition_runs_the_script_once_even_when_redelivered() {
    let directory = tempfile::tempdir().unwrap();
    let bus = embedded_bus(directory.path()).await;
    write_script(
        directory.path(),
        "restart.sh",
        "echo \"$DV_ALERT_FINGERPRINT $1\" >> \"$DV_PARAM_WORK_DIR/runs.log\"\necho restarted",
    );
    let rules = vec![rule(directory.path(), "restart.sh", "")];
    let shutdown = CancellationToken::new();
    let store = temporary_store(directory.path()).await;
    let executor = Executor::new(
        bus.clone(),
        store.clone(),
        rules,
        fast_config(),
        Default::default(),
    )
    .unwrap();
    let executor = tokio::spawn(run_automation(Arc::new(executor), shutdown.clone()));

    let transition = sample_transition();
    let event = Event::new("/detectviz/alert", "io.detectviz.alert.firing", &transition).unwrap();
    bus.publish("dv:alerts", &event).await.unwrap();
    wait_for_finished_runs(&bus, 1).await;
    // The same transition again, as a redelivery after a lost acknowledgement looks.
    let again = Event::new("/detectviz/alert", "io.detectviz.alert.firing", &transition).unwrap();
    bus.publish("dv:alerts", &again).await.unwrap();
    wait_until_consumed(&bus).await;
    shutdown.cancel();
    executor.await.unwrap().unwrap();

    let runs_log = std::fs::read_to_string(directory.path().join("runs.log")).unwrap();
    assert_eq!(runs_log, "a1c3e5f7a9b1c3e5 line-3\n");
    let records = run_records(&bus).await;
    let statuses: Vec<RunStatus> = records.iter().map(|record| record.status).collect();
    assert_eq!(statuses, [RunStatus::Started, RunStatus::Succeeded]);
    let finished = &records[1];
    assert_eq!(finished.rule_id, "restart-pump");
    assert_eq!(finished.action, "restart");
    assert_eq!(finished.exit_code, Some(0));
    assert_eq!(finished.stdout, "restarted\n");
    assert_eq!(finished.attempts, 1);
    assert_eq!(finished.run_key, records[0].run_key);
    assert!(finished.ended_at_ms.is_some());

    let history = store
        .automation_runs()
        .list(&store::AutomationRunFilter {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(history.len(), 1, "one run in the history: {history:?}");
    assert_eq!(history[0].run.run_id, finished.run_id);
    assert_eq!(history[0].status, "succeeded");
    assert_eq!(history[0].stdout, "restarted\n");
    assert_eq!(
        history[0].run.fingerprint.as_deref(),
        Some("a1c3e5f7a9b1c3e5")
    );
    assert_eq!(history[0].run.parameters["line"], "line-3");
}

#[tokio::test]
async fn an_interrupted_run_is_made_again_only_for_an_idempotent_rule() {
    let directory = tempfile::tempdir().unwrap();
    let bus = embedded_bus(directory.path()).await;
    let store = temporary_store(directory.path()).await;
    write_script(directory.path(), "quick.sh", "echo ok");
    let once_only = rule(directory.path(), "quick.sh", "");
    let mut idempotent = rule(directory.path(), "quick.sh", "idempotent = true");
    idempotent.id = "idempotent".to_string();
    let transition = sample_transition();
    for rule in [&once_only, &idempotent] {
        let key = automation::run_key(&transition, &rule.id, "restart");
        let started = store::NewAutomationRun {
            run_id: format!("killed-{}", rule.id),
            run_key: key,
            generation: 0,
            rule_id: rule.id.clone(),
            action: "restart".to_string(),
            trigger_kind: "alert".to_string(),
            requested_by: None,
            fingerprint: Some(transition.fingerprint.clone()),
            transition_kind: Some("firing".to_string()),
            transition_at_ms: Some(transition.at_ms),
            parameters: serde_json::json!({}),
            owner: "node-1".to_string(),
            started_at_ms: 1,
        };
        assert!(
            store
                .automation_runs()
                .insert_started(&started)
                .await
                .unwrap()
        );
    }
    let interrupted = automation::run_history::mark_interrupted(&store, "node-1", 2)
        .await
        .unwrap();
    assert_eq!(interrupted, 2);
    let executor = Executor::new(
        bus.clone(),
        store.clone(),
        vec![once_only, idempotent],
        fast_config(),
        Default::default(),
    )
    .unwrap();
    let records = executor.handle_transition(&transition).await.unwrap();
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0].rule_id, "idempotent");
    assert_eq!(records[0].generation, 1);
    assert_eq!(records[0].status, RunStatus::Succeeded);
    let again = executor.handle_transition(&transition).await.unwrap();
    assert!(again.is_empty(), "the re-run happened once: {again:?}");
    let once_only_row = store
        .automation_runs()
        .get("killed-restart-pump")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(once_only_row.status, "interrupted");
}

#[tokio::test]
async fn a_rule_can_ask_the_notifier_to_tell_someone() {
    let directory = tempfile::tempdir().unwrap();
    let bus = embedded_bus(directory.path()).await;
    write_script(directory.path(), "broken.sh", "exit 3");
    let broken = rule(
        directory.path(),
        "broken.sh",
        "max_attempts = 1\nnotify = { to = \"plant-oncall\" }",
    );
    let executor = Executor::new(
        bus.clone(),
        temporary_store(directory.path()).await,
        vec![broken],
        fast_config(),
        Default::default(),
    )
    .unwrap();
    executor
        .handle_transition(&sample_transition())
        .await
        .unwrap();
    let entries = bus
        .replay(
            automation::NOTIFY_STREAM,
            ReplayFrom::Id(Default::default()),
            10,
        )
        .await
        .unwrap();
    assert_eq!(entries.len(), 1);
    let event = entries[0].event().unwrap();
    assert_eq!(event.event_type, automation::NOTIFY_EVENT_TYPE);
    let request: automation::NotifyRequest = event.data_as().unwrap();
    assert_eq!(request.to, "plant-oncall");
    assert_eq!(request.status, RunStatus::Failed);
    assert!(
        request.message.contains("exited with 3"),
        "{}",
        request.message
    );
}

#[tokio::test]
async fn retryable_failures_are_retried_by_the_executor() {
    let directory = tempfile::tempdir().unwrap();
    let bus = embedded_bus(directory.path()).await;
    write_script(
        directory.path(),
        "flaky.sh",
        "if [ ! -e \"$DV_PARAM_WORK_DIR/tried\" ]; then touch \"$DV_PARAM_WORK_DIR/tried\"; \
         echo busy >&2; exit 75; fi\necho ok",
    );
    write_script(directory.path(), "broken.sh", "exit 1");
    let flaky = rule(directory.path(), "flaky.sh", "max_attempts = 3");
    let executor = Executor::new(
        bus.clone(),
        temporary_store(directory.path()).await,
        vec![flaky],
        fast_config(),
        Default::default(),
    )
    .unwrap();
    let records = executor
        .handle_transition(&sample_transition())
        .await
        .unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].status, RunStatus::Succeeded);
    assert_eq!(records[0].attempts, 2);

    let mut broken = rule(directory.path(), "broken.sh", "max_attempts = 3");
    broken.id = "broken".to_string();
    let executor = Executor::new(
        bus.clone(),
        temporary_store(directory.path()).await,
        vec![broken],
        fast_config(),
        Default::default(),
    )
    .unwrap();
    let records = executor
        .handle_transition(&sample_transition())
        .await
        .unwrap();
    assert_eq!(records[0].status, RunStatus::Failed);
    assert_eq!(records[0].attempts, 1, "a final failure is not retried");
    assert_eq!(records[0].exit_code, Some(1));
    assert!(
        records[0]
            .error
            .as_deref()
            .unwrap()
            .contains("exited with 1")
    );
}

#[tokio::test]
async fn timeouts_and_cooldowns_are_recorded() {
    let directory = tempfile::tempdir().unwrap();
    let bus = embedded_bus(directory.path()).await;
    write_script(directory.path(), "slow.sh", "sleep 30");
    write_script(directory.path(), "quick.sh", "echo ok");
    let mut slow = rule(directory.path(), "slow.sh", "max_attempts = 1");
    slow.timeout_s = 1;
    let executor = Executor::new(
        bus.clone(),
        temporary_store(directory.path()).await,
        vec![slow],
        fast_config(),
        Default::default(),
    )
    .unwrap();
    let started = Instant::now();
    let records = executor
        .handle_transition(&sample_transition())
        .await
        .unwrap();
    assert_eq!(records[0].status, RunStatus::TimedOut);
    assert!(started.elapsed() < Duration::from_secs(10));

    let mut quick = rule(
        directory.path(),
        "quick.sh",
        "cooldown_s = 600\nconcurrency_key = \"{{labels.line}}\"",
    );
    quick.id = "quick".to_string();
    let executor = Executor::new(
        bus.clone(),
        temporary_store(directory.path()).await,
        vec![quick],
        fast_config(),
        Default::default(),
    )
    .unwrap();
    let first = sample_transition();
    let mut second = sample_transition();
    second.at_ms += 60_000;
    second.fingerprint = "ffffffffffffffff".to_string();
    let records = executor.handle_transition(&first).await.unwrap();
    assert_eq!(records[0].status, RunStatus::Succeeded);
    let records = executor.handle_transition(&second).await.unwrap();
    assert_eq!(records[0].status, RunStatus::SkippedCooldown);
    let records = executor.handle_transition(&first).await.unwrap();
    assert!(
        records.is_empty(),
        "an already finished run is not made again"
    );
}

#[tokio::test]
async fn shutdown_during_a_backoff_leaves_the_run_unfinished_for_redelivery() {
    let directory = tempfile::tempdir().unwrap();
    let bus = embedded_bus(directory.path()).await;
    write_script(directory.path(), "busy.sh", "exit 75");
    let busy = rule(directory.path(), "busy.sh", "max_attempts = 5");
    let config = ExecutorConfig {
        retry_initial_backoff_ms: 30_000,
        ..ExecutorConfig::default()
    };
    let shutdown = CancellationToken::new();
    let executor = Executor::new(
        bus.clone(),
        temporary_store(directory.path()).await,
        vec![busy],
        config,
        shutdown.clone(),
    )
    .unwrap();
    let cancel_soon = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        shutdown.cancel();
    };
    let transition = sample_transition();
    let (outcome, ()) = tokio::join!(executor.handle_transition(&transition), cancel_soon);
    assert!(
        matches!(outcome, Err(RunError::Interrupted { .. })),
        "{outcome:?}"
    );
    let statuses: Vec<RunStatus> = run_records(&bus)
        .await
        .iter()
        .map(|record| record.status)
        .collect();
    assert_eq!(statuses, [RunStatus::Started]);
}
