//! The executor: consumes `dv:alerts` in group `automation`, matches each transition against
//! the rules, and runs the matching rules' actions with the pipeline around them: the claim in
//! the store (one run per key, see [`run_history`](crate::run_history)), concurrency limits,
//! cooldowns, a timeout per attempt, retries of retryable failures with exponential backoff,
//! and a `started` and a finished record of every run on `dv:automation`.
//!
//! The rules are the config file's plus those stored through the API (`automation_rules`):
//! each transition reads the stored set from the store first ([`rule_source`](crate::rule_source)),
//! and the stored rules' actions are rebuilt when a definition changed, so a change through
//! the API applies to the next transition on every node without a restart. A stored rule
//! that no longer builds (its script was removed) is left out with an error in the log.
//!
//! A `resolved` transition closes the alert's open ticket (status `closed`, resolved time
//! set) before any rule runs, whatever the rules say; the next firing opens a new ticket.
//!
//! The actions matched by one transition run concurrently; the alert entry is acknowledged
//! when they all finished and their records are published, so a crash leaves it pending for
//! redelivery. At start the executor marks the runs it left `started` (it was killed) as
//! `interrupted`; the redelivered transition runs them again only for rules declared
//! `idempotent`. Shutdown during a retry's backoff leaves the run `started`, so it becomes
//! `interrupted` the same way. A transition that is not one goes to the dead letters.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use alert::runner::ALERTS_STREAM;
use detectviz::{AlertTransition, TransitionKind};
use eventbus::{CancellationToken, Delivery, EventBus, HandlerError};
use serde::Deserialize;

use crate::action::{Action, ActionOutput, ActionRequest};
use crate::error::{ActionError, AutomationError, ConfigError, RunError};
use crate::limits::{ConcurrencyLimits, Cooldowns};
use crate::notify_request::publish_if_asked;
use crate::rule::{AutomationRule, validate_rules};
use crate::rule_source::StoredRules;
use crate::run_history::{self, RunDecision};
use crate::run_record::{RunRecord, RunStatus, publish_record, run_key};

/// Consumer group of the executor on `dv:alerts`.
pub const AUTOMATION_GROUP: &str = "automation";

/// The `[automation]` executor settings.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExecutorConfig {
    /// Consumer name in the group; unique per node.
    pub consumer: String,
    pub max_concurrent_runs: usize,
    pub max_concurrent_runs_per_action: usize,
    /// Wait before the second attempt; doubled for each further one.
    pub retry_initial_backoff_ms: u64,
    pub retry_max_backoff_ms: u64,
    /// How long past an attempt's timeout the executor waits for the action to stop by itself
    /// (a shell action kills its process group) before abandoning the attempt.
    pub timeout_grace_ms: u64,
    /// The one directory the `shell` actions of rules stored through the API may take
    /// scripts from; none: stored rules cannot use `shell`.
    pub stored_rules_scripts_dir: Option<PathBuf>,
}

impl Default for ExecutorConfig {
    fn default() -> Self {
        ExecutorConfig {
            consumer: "node-1".to_string(),
            max_concurrent_runs: 8,
            max_concurrent_runs_per_action: 2,
            retry_initial_backoff_ms: 1_000,
            retry_max_backoff_ms: 60_000,
            timeout_grace_ms: 2_000,
            stored_rules_scripts_dir: None,
        }
    }
}

pub(crate) struct PreparedRule {
    pub(crate) rule: AutomationRule,
    pub(crate) action: Box<dyn Action>,
}

/// The rules with their built actions, and the state of the pipeline around them.
pub struct Executor {
    pub(crate) bus: EventBus,
    pub(crate) store: store::Store,
    /// The rules of the config file.
    pub(crate) config_rules: Vec<Arc<PreparedRule>>,
    pub(crate) stored_rules: tokio::sync::Mutex<StoredRules>,
    pub(crate) config: ExecutorConfig,
    limits: ConcurrencyLimits,
    cooldowns: Cooldowns,
    shutdown: CancellationToken,
}

/// Runs the executor until `shutdown`, consuming `dv:alerts`. Call
/// [`Executor::recover_interrupted`] once before, and before any manual run.
pub async fn run_automation(
    executor: Arc<Executor>,
    shutdown: CancellationToken,
) -> Result<(), AutomationError> {
    let consumer = executor.config.consumer.clone();
    let bus = executor.bus.clone();
    let handler = move |delivery: Delivery| {
        let executor = executor.clone();
        async move { executor.handle_delivery(delivery).await }
    };
    bus.subscribe(
        ALERTS_STREAM,
        AUTOMATION_GROUP,
        &consumer,
        handler,
        shutdown,
    )
    .await?;
    Ok(())
}

impl Executor {
    /// Checks the rules and builds their actions.
    pub fn new(
        bus: EventBus,
        store: store::Store,
        rules: Vec<AutomationRule>,
        config: ExecutorConfig,
        shutdown: CancellationToken,
    ) -> Result<Executor, ConfigError> {
        validate_rules(&rules)?;
        let mut prepared = Vec::with_capacity(rules.len());
        for rule in rules {
            let action = rule.action.build_with_store(&store)?;
            prepared.push(Arc::new(PreparedRule { rule, action }));
        }
        Ok(Executor {
            bus,
            store,
            config_rules: prepared,
            stored_rules: tokio::sync::Mutex::default(),
            limits: ConcurrencyLimits::new(
                config.max_concurrent_runs,
                config.max_concurrent_runs_per_action,
            ),
            config,
            cooldowns: Cooldowns::default(),
            shutdown,
        })
    }

    /// Marks the runs this executor (its consumer name) left `started` when it was killed as
    /// `interrupted`; returns how many. Redelivered transitions then re-run the idempotent ones.
    pub async fn recover_interrupted(&self) -> Result<u64, store::StoreError> {
        run_history::mark_interrupted(&self.store, &self.config.consumer, now_ms()).await
    }

    /// Closes the alert's open ticket when it resolved.
    async fn close_ticket_if_resolved(
        &self,
        transition: &AlertTransition,
    ) -> Result<(), store::StoreError> {
        if transition.kind != TransitionKind::Resolved {
            return Ok(());
        }
        let closed = self
            .store
            .tickets()
            .close_for_resolved_alert(&transition.fingerprint, transition.at_ms)
            .await?;
        if let Some(ticket) = closed {
            tracing::info!(
                ticket = %ticket.ticket.id,
                fingerprint = %transition.fingerprint,
                "the alert resolved: its ticket is closed"
            );
        }
        Ok(())
    }

    async fn handle_delivery(&self, delivery: Delivery) -> Result<(), HandlerError> {
        let transition: AlertTransition = delivery.event.data_as().map_err(|error| {
            HandlerError::permanent(format!("not an alert transition: {error}"))
        })?;
        self.handle_transition(&transition)
            .await
            .map(|_| ())
            .map_err(HandlerError::retryable)
    }

    /// Runs every matching rule's action for `transition` (once per run key) and returns the
    /// finished records of the runs it made.
    pub async fn handle_transition(
        &self,
        transition: &AlertTransition,
    ) -> Result<Vec<RunRecord>, RunError> {
        self.close_ticket_if_resolved(transition).await?;
        let rules = self.current_rules().await?;
        let runs = rules
            .iter()
            .filter(|prepared| prepared.rule.trigger.matches(transition))
            .map(|prepared| self.run_rule(prepared, transition));
        let mut records = Vec::new();
        for outcome in futures::future::join_all(runs).await {
            if let Some(record) = outcome? {
                records.push(record);
            }
        }
        Ok(records)
    }

    async fn run_rule(
        &self,
        prepared: &PreparedRule,
        transition: &AlertTransition,
    ) -> Result<Option<RunRecord>, RunError> {
        let rule = &prepared.rule;
        let action = prepared.action.as_ref();
        let key = run_key(transition, &rule.id, action.name());
        let RunDecision::Run { generation } =
            run_history::next_generation(&self.store, &key, rule.idempotent).await?
        else {
            tracing::debug!(run_key = %key, "run already made or being made; skipped");
            return Ok(None);
        };
        let mut record = new_record(rule, action.name(), transition, key);
        record.generation = generation;
        let parameters = match rule.render_parameters(transition) {
            Ok(parameters) => parameters,
            Err(reason) => {
                return self
                    .finish_without_running(
                        prepared,
                        record,
                        format!("cannot render the rule's templates: {reason}"),
                    )
                    .await;
            }
        };
        let concurrency_key = match rule.render_concurrency_key(transition, &parameters) {
            Ok(concurrency_key) => concurrency_key,
            Err(reason) => {
                return self
                    .finish_without_running(
                        prepared,
                        record,
                        format!("cannot render the rule's templates: {reason}"),
                    )
                    .await;
            }
        };
        let _permits = self
            .limits
            .acquire(action.name(), concurrency_key.as_deref())
            .await;
        let parameters_json = serde_json::to_value(&parameters).unwrap_or_default();
        if !run_history::claim(
            &self.store,
            &record,
            &parameters_json,
            &self.config.consumer,
        )
        .await?
        {
            // Another executor claimed it while this one waited for a slot.
            return Ok(None);
        }
        let cooldown_scope = concurrency_key.unwrap_or_else(|| transition.fingerprint.clone());
        let cooldown = Duration::from_secs(rule.cooldown_s);
        if self
            .cooldowns
            .check_and_start(&rule.id, &cooldown_scope, cooldown)
        {
            record.status = RunStatus::SkippedCooldown;
            record.ended_at_ms = Some(record.started_at_ms);
            return Ok(Some(self.publish_finished(prepared, record).await?));
        }
        publish_record(&self.bus, &record).await?;
        let request = ActionRequest {
            run_id: record.run_id.clone(),
            transition: transition.clone(),
            parameters,
            timeout: Duration::from_secs(rule.timeout_s),
            live_output: None,
        };
        let Some((attempts, outcome)) = self.execute_with_retry(action, rule, &request).await
        else {
            return Err(RunError::Interrupted {
                run_key: record.run_key,
            });
        };
        record.attempts = attempts;
        record_outcome(&mut record, outcome);
        Ok(Some(self.publish_finished(prepared, record).await?))
    }

    /// Attempts until success, a final error or `max_attempts`; `None` when shutdown came
    /// during a backoff.
    pub(crate) async fn execute_with_retry(
        &self,
        action: &dyn Action,
        rule: &AutomationRule,
        request: &ActionRequest,
    ) -> Option<(u32, Result<ActionOutput, ActionError>)> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let outcome = self.execute_once(action, request).await;
            let error = match outcome {
                Ok(output) => return Some((attempt, Ok(output))),
                Err(error) => error,
            };
            if !error.is_retryable() || attempt >= rule.max_attempts {
                return Some((attempt, Err(error)));
            }
            let backoff = self.backoff(attempt);
            tracing::info!(rule = %rule.id, attempt, ?backoff, %error, "retrying the action");
            tokio::select! {
                () = tokio::time::sleep(backoff) => {}
                () = self.shutdown.cancelled() => return None,
            }
        }
    }

    async fn execute_once(
        &self,
        action: &dyn Action,
        request: &ActionRequest,
    ) -> Result<ActionOutput, ActionError> {
        let deadline = request.timeout + Duration::from_millis(self.config.timeout_grace_ms);
        match tokio::time::timeout(deadline, action.execute(request)).await {
            Ok(outcome) => outcome,
            Err(_elapsed) => Err(ActionError::TimedOut {
                action: action.name().to_string(),
                timeout_ms: request.timeout.as_millis(),
            }),
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let doubling = 2_u64.saturating_pow(attempt.saturating_sub(1));
        let delay_ms = self
            .config
            .retry_initial_backoff_ms
            .saturating_mul(doubling)
            .min(self.config.retry_max_backoff_ms);
        Duration::from_millis(delay_ms)
    }

    async fn finish_without_running(
        &self,
        prepared: &PreparedRule,
        mut record: RunRecord,
        reason: String,
    ) -> Result<Option<RunRecord>, RunError> {
        let parameters = serde_json::Value::Object(Default::default());
        if !run_history::claim(&self.store, &record, &parameters, &self.config.consumer).await? {
            return Ok(None);
        }
        record.status = RunStatus::Failed;
        record.ended_at_ms = Some(record.started_at_ms);
        record.error = Some(reason);
        Ok(Some(self.publish_finished(prepared, record).await?))
    }

    /// Stores the run's end, then publishes it (and the notify request the rule asks for).
    pub(crate) async fn publish_finished(
        &self,
        prepared: &PreparedRule,
        record: RunRecord,
    ) -> Result<RunRecord, RunError> {
        run_history::finish(&self.store, &record).await?;
        publish_record(&self.bus, &record).await?;
        publish_if_asked(&self.bus, prepared.rule.notify.as_ref(), &record).await?;
        tracing::info!(
            rule = %record.rule_id,
            action = %record.action,
            fingerprint = %record.fingerprint,
            status = record.status.as_str(),
            attempts = record.attempts,
            "automation run finished"
        );
        Ok(record)
    }
}

/// Copies an attempt's outcome into the record.
pub(crate) fn record_outcome(record: &mut RunRecord, outcome: Result<ActionOutput, ActionError>) {
    record.ended_at_ms = Some(now_ms());
    match outcome {
        Ok(output) => {
            record.status = RunStatus::Succeeded;
            record.set_output(&output);
        }
        Err(error) => {
            record.status = match error {
                ActionError::TimedOut { .. } => RunStatus::TimedOut,
                _ => RunStatus::Failed,
            };
            if let Some(output) = error.output() {
                record.set_output(output);
            }
            record.error = Some(error.to_string());
        }
    }
}

fn new_record(
    rule: &AutomationRule,
    action: &str,
    transition: &AlertTransition,
    run_key: String,
) -> RunRecord {
    RunRecord {
        run_id: uuid::Uuid::now_v7().to_string(),
        run_key,
        generation: 0,
        trigger_kind: "alert".to_string(),
        requested_by: None,
        rule_id: rule.id.clone(),
        rule_name: rule.name.clone(),
        action: action.to_string(),
        fingerprint: transition.fingerprint.clone(),
        transition_kind: transition.kind.as_str().to_string(),
        transition_at_ms: transition.at_ms,
        status: RunStatus::Started,
        attempts: 0,
        started_at_ms: now_ms(),
        ended_at_ms: None,
        exit_code: None,
        stdout: String::new(),
        stderr: String::new(),
        provider_id: None,
        error: None,
        answer: None,
    }
}

pub(crate) fn now_ms() -> i64 {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX)
}
