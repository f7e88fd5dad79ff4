//! The run history in the store (`automation_runs`): the claim that keeps alert-triggered runs
//! to one per (fingerprint, transition, rule, action), and each run's end.
//!
//! Before a run the executor looks at the latest row of its run key ([`next_generation`]):
//! none means a first run (generation 0); a finished one means the run happened; `started`
//! means another live executor has it; `interrupted` (its executor was killed, see
//! [`mark_interrupted`]) means the run is made again, as the next generation, only when the
//! rule declares its action `idempotent`. The insert of the `started` row is the claim: the
//! unique (run key, generation) lets only one executor win it. An alert run's `llm` answer is
//! also kept on the alert (`alert_analyses`), where the alert's detail shows it.

use store::{AlertAnalysis, FinishedAutomationRun, NewAutomationRun, Store, StoreError};

use crate::run_record::{RunRecord, RunStatus};

/// What to do about a run key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunDecision {
    /// Run it, as this generation.
    Run { generation: i64 },
    /// It ran, is running elsewhere, or was interrupted and may not run twice.
    Skip,
}

/// Decides from the key's latest row whether to run.
pub async fn next_generation(
    store: &Store,
    run_key: &str,
    idempotent: bool,
) -> Result<RunDecision, StoreError> {
    let Some(latest) = store.automation_runs().latest_for_key(run_key).await? else {
        return Ok(RunDecision::Run { generation: 0 });
    };
    if latest.status == RunStatus::Interrupted.as_str() && idempotent {
        return Ok(RunDecision::Run {
            generation: latest.run.generation + 1,
        });
    }
    Ok(RunDecision::Skip)
}

/// Inserts the run as `started`; false when another executor claimed it first.
pub async fn claim(
    store: &Store,
    record: &RunRecord,
    parameters: &serde_json::Value,
    owner: &str,
) -> Result<bool, StoreError> {
    let manual = record.trigger_kind == "manual";
    let run = NewAutomationRun {
        run_id: record.run_id.clone(),
        run_key: record.run_key.clone(),
        generation: record.generation,
        rule_id: record.rule_id.clone(),
        action: record.action.clone(),
        trigger_kind: record.trigger_kind.clone(),
        requested_by: record.requested_by.clone(),
        fingerprint: (!manual).then(|| record.fingerprint.clone()),
        transition_kind: (!manual).then(|| record.transition_kind.clone()),
        transition_at_ms: (!manual).then_some(record.transition_at_ms),
        parameters: parameters.clone(),
        owner: owner.to_string(),
        started_at_ms: record.started_at_ms,
    };
    store.automation_runs().insert_started(&run).await
}

/// Stores how the run ended.
pub async fn finish(store: &Store, record: &RunRecord) -> Result<(), StoreError> {
    let finished = FinishedAutomationRun {
        status: record.status.as_str().to_string(),
        attempts: record.attempts,
        ended_at_ms: record.ended_at_ms.unwrap_or(record.started_at_ms),
        exit_code: record.exit_code,
        stdout: record.stdout.clone(),
        stderr: record.stderr.clone(),
        error: record.error.clone(),
        provider_id: record.provider_id.clone(),
        answer: record.answer.clone(),
    };
    store
        .automation_runs()
        .finish(&record.run_id, &finished)
        .await?;
    if let Some(answer) = &record.answer
        && record.trigger_kind == "alert"
    {
        let analysis = AlertAnalysis {
            run_id: record.run_id.clone(),
            fingerprint: record.fingerprint.clone(),
            rule_id: record.rule_id.clone(),
            answer: answer.clone(),
            created_at_ms: finished.ended_at_ms,
        };
        store.alert_analyses().insert(&analysis).await?;
    }
    Ok(())
}

/// Marks the runs this executor (`owner`) left `started` when it was killed as
/// `interrupted`; call it at start, before any run.
pub async fn mark_interrupted(store: &Store, owner: &str, now_ms: i64) -> Result<u64, StoreError> {
    let count = store
        .automation_runs()
        .mark_interrupted(owner, now_ms)
        .await?;
    if count > 0 {
        tracing::warn!(
            owner,
            count,
            "automation runs were interrupted by a stop of this executor; idempotent ones run again"
        );
    }
    Ok(count)
}
