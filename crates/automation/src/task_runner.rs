//! The task runner: the configured rules' actions run by hand (the console's task-runner page).
//!
//! [`TaskRunner::start`] runs one rule's action with parameters an operator gives (only the
//! names the rule declares; values reach a script as argv and `DV_PARAM_*`, never a shell
//! string) through the executor's pipeline: the run is claimed in the store as
//! `manual/<run id>` with who asked, retried like alert runs, and published on
//! `dv:automation`. Its output is copied live: [`TaskRunner::watch`] gives what was printed
//! so far plus a receiver of what comes next, without gaps. [`TaskRunner::cancel`] stops it: the
//! attempt's future is dropped, which kills the script's whole process group, and the run is
//! recorded `cancelled`. The alert a manual run sees is a synthetic one: fingerprint `manual`,
//! alertname `ManualRun`, severity info.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use detectviz::{AlertPhase, AlertTransition, Labels, SeriesKey, Severity, TransitionKind};
use eventbus::CancellationToken;
use serde::Serialize;
use tokio::sync::{broadcast, watch};

use crate::action::output::{DEFAULT_OUTPUT_CAP_BYTES, TRUNCATED_MARKER};
use crate::action::{ActionConfig, ActionRequest, LiveOutput};
use crate::error::RunError;
use crate::executor::{Executor, PreparedRule, now_ms, record_outcome};
use crate::run_history;
use crate::run_record::{RunRecord, RunStatus, publish_record};

/// Chunks of live output buffered per watcher before a slow one loses some.
const LIVE_CHANNEL_CAPACITY: usize = 1_024;

/// One action the task runner offers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskAction {
    pub rule_id: String,
    pub rule_name: String,
    pub action: String,
    /// `shell`, `webhook`, `ticket` or `llm`.
    pub kind: &'static str,
    /// The parameters it takes, with the rule's templates as a hint.
    pub parameters: BTreeMap<String, String>,
    pub timeout_s: u64,
}

/// Why a manual run could not start.
#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    #[error("no automation rule `{0}`")]
    UnknownRule(String),
    #[error("rule `{rule}` takes no parameter `{parameter}` (it takes: {known})")]
    UnknownParameter {
        rule: String,
        parameter: String,
        known: String,
    },
    #[error(transparent)]
    Run(#[from] RunError),
}

/// What a watcher of a running task gets.
pub struct TaskWatch {
    /// Everything printed so far (capped).
    pub transcript: String,
    /// What is printed next.
    pub live: broadcast::Receiver<String>,
    /// `None` while running, then the final status.
    pub finished: watch::Receiver<Option<RunStatus>>,
}

struct RunningTask {
    /// The transcript so far and the sender of what comes next, under one lock so a watcher
    /// sees every chunk exactly once.
    transcript: Mutex<(String, broadcast::Sender<String>)>,
    finished: watch::Receiver<Option<RunStatus>>,
    cancel: CancellationToken,
}

/// Manual runs of the executor's rules.
pub struct TaskRunner {
    executor: Arc<Executor>,
    running: Mutex<HashMap<String, Arc<RunningTask>>>,
}

impl TaskRunner {
    pub fn new(executor: Arc<Executor>) -> Arc<TaskRunner> {
        Arc::new(TaskRunner {
            executor,
            running: Mutex::new(HashMap::new()),
        })
    }

    /// The actions of the rules, from the config file and stored through the API.
    pub async fn actions(&self) -> Result<Vec<TaskAction>, TaskError> {
        let rules = self
            .executor
            .current_rules()
            .await
            .map_err(RunError::from)?;
        Ok(rules
            .iter()
            .map(|prepared| TaskAction {
                rule_id: prepared.rule.id.clone(),
                rule_name: prepared.rule.name.clone(),
                action: prepared.action.name().to_string(),
                kind: action_kind(&prepared.rule.action),
                parameters: prepared.rule.parameters.clone(),
                timeout_s: prepared.rule.timeout_s,
            })
            .collect())
    }

    /// Starts the rule's action by hand; returns the `started` record. The run goes on in the
    /// background.
    pub async fn start(
        self: &Arc<Self>,
        rule_id: &str,
        parameters: BTreeMap<String, String>,
        requested_by: &str,
    ) -> Result<RunRecord, TaskError> {
        let rules = self
            .executor
            .current_rules()
            .await
            .map_err(RunError::from)?;
        let prepared = rules
            .into_iter()
            .find(|prepared| prepared.rule.id == rule_id)
            .ok_or_else(|| TaskError::UnknownRule(rule_id.to_string()))?;
        if let Some(unknown) = parameters
            .keys()
            .find(|name| !prepared.rule.parameters.contains_key(*name))
        {
            return Err(TaskError::UnknownParameter {
                rule: rule_id.to_string(),
                parameter: unknown.clone(),
                known: prepared
                    .rule
                    .parameters
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        let record = manual_record(&prepared, requested_by);
        let parameters_json = serde_json::to_value(&parameters).unwrap_or_default();
        let executor = &self.executor;
        run_history::claim(
            &executor.store,
            &record,
            &parameters_json,
            &executor.config.consumer,
        )
        .await
        .map_err(RunError::from)?;
        publish_record(&executor.bus, &record)
            .await
            .map_err(RunError::from)?;

        let (raw_sender, raw_receiver) = broadcast::channel(LIVE_CHANNEL_CAPACITY);
        let (public_sender, _) = broadcast::channel(LIVE_CHANNEL_CAPACITY);
        let (finished_sender, finished) = watch::channel(None);
        let task = Arc::new(RunningTask {
            transcript: Mutex::new((String::new(), public_sender)),
            finished,
            cancel: CancellationToken::new(),
        });
        self.running
            .lock()
            .expect("task lock")
            .insert(record.run_id.clone(), task.clone());
        let relay = tokio::spawn(relay_output(raw_receiver, task.clone()));
        let request = ActionRequest {
            run_id: record.run_id.clone(),
            transition: manual_transition(rule_id, &prepared.rule.name),
            parameters,
            timeout: Duration::from_secs(prepared.rule.timeout_s),
            live_output: Some(LiveOutput(raw_sender)),
        };
        let runner = self.clone();
        let started = record.clone();
        tokio::spawn(async move {
            let run_id = started.run_id.clone();
            // `run` drops the request, so the relay ends once it passed on the last chunk.
            let status = runner.run(&prepared, started, request, &task.cancel).await;
            let _ = relay.await;
            let _ = finished_sender.send(Some(status));
            runner.running.lock().expect("task lock").remove(&run_id);
        });
        Ok(record)
    }

    async fn run(
        &self,
        prepared: &PreparedRule,
        mut record: RunRecord,
        request: ActionRequest,
        cancel: &CancellationToken,
    ) -> RunStatus {
        let attempt =
            self.executor
                .execute_with_retry(prepared.action.as_ref(), &prepared.rule, &request);
        tokio::select! {
            outcome = attempt => match outcome {
                Some((attempts, outcome)) => {
                    record.attempts = attempts;
                    record_outcome(&mut record, outcome);
                }
                None => {
                    record.status = RunStatus::Interrupted;
                    record.ended_at_ms = Some(now_ms());
                    record.error = Some("the server shut down during the run".to_string());
                }
            },
            () = cancel.cancelled() => {
                // The attempt's future is dropped here: the script's process group is killed.
                record.status = RunStatus::Cancelled;
                record.ended_at_ms = Some(now_ms());
                record.error = Some("cancelled from the task runner".to_string());
            }
        }
        let status = record.status;
        if let Err(error) = self.executor.publish_finished(prepared, record).await {
            tracing::error!(%error, "cannot record the end of a manual run");
        }
        status
    }

    /// The transcript so far and the live output of a running task; `None` once it ended (its
    /// output is then in the store).
    pub fn watch(&self, run_id: &str) -> Option<TaskWatch> {
        let task = self.running.lock().expect("task lock").get(run_id)?.clone();
        let transcript = task.transcript.lock().expect("transcript lock");
        Some(TaskWatch {
            transcript: transcript.0.clone(),
            live: transcript.1.subscribe(),
            finished: task.finished.clone(),
        })
    }

    /// Cancels a running task; false when it is not running.
    pub fn cancel(&self, run_id: &str) -> bool {
        let Some(task) = self.running.lock().expect("task lock").get(run_id).cloned() else {
            return false;
        };
        task.cancel.cancel();
        true
    }
}

/// Appends each chunk to the transcript (up to the output cap) and passes it on to watchers.
async fn relay_output(mut raw: broadcast::Receiver<String>, task: Arc<RunningTask>) {
    loop {
        let chunk = match raw.recv().await {
            Ok(chunk) => chunk,
            Err(broadcast::error::RecvError::Lagged(skipped)) => {
                format!("\n[… {skipped} chunks of output skipped …]\n")
            }
            Err(broadcast::error::RecvError::Closed) => return,
        };
        let mut transcript = task.transcript.lock().expect("transcript lock");
        if transcript.0.len() < DEFAULT_OUTPUT_CAP_BYTES {
            transcript.0.push_str(&chunk);
            if transcript.0.len() >= DEFAULT_OUTPUT_CAP_BYTES {
                transcript.0.push_str(TRUNCATED_MARKER);
            }
        }
        let _ = transcript.1.send(chunk);
    }
}

fn action_kind(action: &ActionConfig) -> &'static str {
    match action {
        ActionConfig::Shell(_) => "shell",
        ActionConfig::Webhook(_) => "webhook",
        ActionConfig::Ticket(_) => "ticket",
        ActionConfig::Llm(_) => "llm",
    }
}

fn manual_record(prepared: &PreparedRule, requested_by: &str) -> RunRecord {
    let run_id = uuid::Uuid::now_v7().to_string();
    let started_at_ms = now_ms();
    RunRecord {
        run_key: format!("manual/{run_id}"),
        run_id,
        generation: 0,
        trigger_kind: "manual".to_string(),
        requested_by: Some(requested_by.to_string()),
        rule_id: prepared.rule.id.clone(),
        rule_name: prepared.rule.name.clone(),
        action: prepared.action.name().to_string(),
        fingerprint: "manual".to_string(),
        transition_kind: "manual".to_string(),
        transition_at_ms: started_at_ms,
        status: RunStatus::Started,
        attempts: 0,
        started_at_ms,
        ended_at_ms: None,
        exit_code: None,
        stdout: String::new(),
        stderr: String::new(),
        provider_id: None,
        error: None,
        answer: None,
    }
}

/// The alert a manual run sees.
fn manual_transition(rule_id: &str, rule_name: &str) -> AlertTransition {
    let mut labels = Labels::default();
    labels.insert("alertname", "ManualRun");
    labels.insert("severity", "info");
    let at_ms = now_ms();
    AlertTransition {
        fingerprint: "manual".to_string(),
        rule_id: rule_id.to_string(),
        rule_name: rule_name.to_string(),
        series: SeriesKey {
            measurement: String::new(),
            tags: Labels::default(),
            field: String::new(),
        },
        labels,
        annotations: BTreeMap::new(),
        kind: TransitionKind::Firing,
        from: AlertPhase::Inactive,
        to: AlertPhase::Firing,
        severity: Severity::Info,
        previous_severity: None,
        value: None,
        at_ms,
        active_since_ms: Some(at_ms),
        flapping: false,
        notify: false,
    }
}
