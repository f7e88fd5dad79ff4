//! What the model-rule runner reports after each run: per model rule `ok`, `no_data` or
//! `unknown` (with the reason), and whether the anomaly service is available. The server
//! shows it at `/api/analyzer` and turns it into the `analyzer` module of `/api/health`.

use serde::Serialize;

use crate::BreakerState;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelRuleState {
    /// Not evaluated yet.
    Waiting,
    /// Scored in the last run.
    Ok,
    /// No selected series has points yet.
    NoData,
    /// The anomaly service could not score it; `reason` says why.
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelRuleStatus {
    pub rule_id: String,
    pub state: ModelRuleState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Series scored in the last run.
    pub series: usize,
    /// Points flagged (and published on `dv:anomaly`) in the last run.
    pub flagged: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnalyzerStatus {
    pub url: String,
    /// False while the service cannot be reached or fails (model rules are `unknown`).
    pub available: bool,
    pub breaker: BreakerState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Unix milliseconds of the last run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_run_ms: Option<i64>,
    pub rules: Vec<ModelRuleStatus>,
}

impl AnalyzerStatus {
    pub fn waiting(url: &str) -> AnalyzerStatus {
        AnalyzerStatus {
            url: url.to_string(),
            available: true,
            breaker: BreakerState::Closed,
            reason: None,
            last_run_ms: None,
            rules: Vec::new(),
        }
    }

    pub fn rule(&self, rule_id: &str) -> Option<&ModelRuleStatus> {
        self.rules.iter().find(|rule| rule.rule_id == rule_id)
    }
}
