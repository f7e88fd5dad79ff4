//! [`ModelRuleRunner`]: evaluates the `model` alert rules in batches on an interval.
//!
//! Each run, for every model rule: select its series from the ingest window (measurement,
//! field, matchers, CEL filter), send their latest `points` in one `POST /v1/detect` batch,
//! and for every point newer than what was scored before: a score sample
//! `anomaly_score.score{rule, series}` for the alert runner (so `alert::evaluate` stays pure
//! and "score > 0.9 for 2m" is an ordinary condition) and, for flagged points, an event on
//! `dv:anomaly`. The events are published before the samples are fed and the scored-until
//! marks move only when both succeed, so a bus outage delays anomalies instead of losing them.
//! When the service cannot answer, the rule is `unknown` with the reason and nothing is fed:
//! its alerts keep their state, and threshold and statistical rules are not involved at all.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use alert::model::anomaly_score_series;
use alert::runner::AlertRunner;
use alert::{ModelSettings, Rule, RuleKind};
use detectviz::{Event, Sample, SeriesKey};
use eventbus::{CancellationToken, EventBus};
use ingest::SeriesWindow;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::api::{DetectRequest, DetectResponse, Series};
use crate::{
    Analyzer, AnalyzerError, AnalyzerStatus, ModelRuleState, ModelRuleStatus, TraceContext,
};

/// The stream anomaly events are published on.
pub const ANOMALY_STREAM: &str = "dv:anomaly";
/// CloudEvents `source` and `type` of anomaly events.
pub const ANOMALY_EVENT_SOURCE: &str = "/detectviz/analyzer";
pub const ANOMALY_EVENT_TYPE: &str = "io.detectviz.anomaly.detected";

/// The `data` of an anomaly event: one flagged point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnomalyEvent {
    pub rule_id: String,
    /// The scored series, as `measurement.field{tags}`.
    pub series: String,
    pub timestamp_ms: i64,
    pub score: f64,
    pub reason: Option<String>,
    pub method: String,
    pub model_id: Option<String>,
    pub model_version: Option<u64>,
}

type ScoredUntil = HashMap<(String, SeriesKey), i64>;

pub struct ModelRuleRunner {
    analyzer: Arc<Analyzer>,
    alerts: Arc<AlertRunner>,
    bus: EventBus,
    window: Arc<SeriesWindow>,
    scored_until: Mutex<ScoredUntil>,
    status: watch::Sender<AnalyzerStatus>,
}

/// What one rule's detect call produced.
#[derive(Default)]
struct RuleOutcome {
    samples: Vec<Sample>,
    events: Vec<AnomalyEvent>,
    scored_until: Vec<((String, SeriesKey), i64)>,
}

impl ModelRuleRunner {
    pub fn new(
        analyzer: Arc<Analyzer>,
        alerts: Arc<AlertRunner>,
        bus: EventBus,
        window: Arc<SeriesWindow>,
    ) -> Arc<ModelRuleRunner> {
        let (status, _) = watch::channel(AnalyzerStatus::waiting(analyzer.base_url()));
        Arc::new(ModelRuleRunner {
            analyzer,
            alerts,
            bus,
            window,
            scored_until: Mutex::new(HashMap::new()),
            status,
        })
    }

    pub fn status(&self) -> AnalyzerStatus {
        self.status.borrow().clone()
    }

    /// Receives the status after every run.
    pub fn subscribe(&self) -> watch::Receiver<AnalyzerStatus> {
        self.status.subscribe()
    }

    pub fn analyzer(&self) -> &Analyzer {
        &self.analyzer
    }

    /// Scores every model rule once and feeds the alert runner; returns the new status.
    pub async fn run_once(&self, now_ms: i64) -> AnalyzerStatus {
        let rules = self.alerts.rules();
        let trace = TraceContext::new_root();
        let mut statuses = Vec::new();
        let mut outcome = RuleOutcome::default();
        let mut service_error: Option<AnalyzerError> = None;
        for rule in rules.iter() {
            let RuleKind::Model(settings) = &rule.kind else {
                continue;
            };
            let (status, error) = self.score_rule(rule, settings, &trace, &mut outcome).await;
            statuses.push(status);
            if let Some(error) = error.filter(AnalyzerError::is_service_failure_or_open) {
                service_error.get_or_insert(error);
            }
        }
        self.deliver(outcome, &trace, now_ms, &mut statuses).await;
        self.forget_removed_rules(&rules);
        let status = AnalyzerStatus {
            url: self.analyzer.base_url().to_string(),
            available: service_error.is_none(),
            breaker: self.analyzer.breaker_state(),
            reason: service_error.map(|error| error.to_string()),
            last_run_ms: Some(now_ms),
            rules: statuses,
        };
        self.status.send_replace(status.clone());
        status
    }

    async fn score_rule(
        &self,
        rule: &Rule,
        settings: &ModelSettings,
        trace: &TraceContext,
        outcome: &mut RuleOutcome,
    ) -> (ModelRuleStatus, Option<AnalyzerError>) {
        let mut status = ModelRuleStatus {
            rule_id: rule.id.clone(),
            state: ModelRuleState::NoData,
            reason: None,
            series: 0,
            flagged: 0,
        };
        let selected = self.select_series(rule, settings.points);
        if selected.is_empty() {
            status.reason = Some("no selected series has points".into());
            return (status, None);
        }
        let request = detect_request(settings, &selected);
        let response = match self.analyzer.detect(&request, trace).await {
            Ok(response) => response,
            Err(error) => {
                status.state = ModelRuleState::Unknown;
                status.reason = Some(error.to_string());
                return (status, Some(error));
            }
        };
        status.state = ModelRuleState::Ok;
        status.series = selected.len();
        let scored_until = self.scored_until.lock().expect("scored lock").clone();
        status.flagged = collect_new_points(rule, &selected, &response, &scored_until, outcome);
        (status, None)
    }

    /// Publishes the anomaly events, then feeds the scores; marks points scored only then.
    async fn deliver(
        &self,
        outcome: RuleOutcome,
        trace: &TraceContext,
        now_ms: i64,
        statuses: &mut [ModelRuleStatus],
    ) {
        let events: Vec<Event> = outcome
            .events
            .iter()
            .map(|anomaly| {
                Event::new(ANOMALY_EVENT_SOURCE, ANOMALY_EVENT_TYPE, anomaly)
                    .expect("an anomaly serialises")
                    .with_traceparent(trace.as_str())
            })
            .collect();
        if !events.is_empty()
            && let Err(error) = self.bus.publish_batch(ANOMALY_STREAM, &events).await
        {
            tracing::warn!(%error, "anomaly events wait for the bus; scores are fed next run");
            for status in statuses.iter_mut().filter(|status| status.flagged > 0) {
                status.reason = Some(format!("anomaly events not published yet: {error}"));
            }
            return;
        }
        metrics::counter!("detectviz_anomaly_events_published_total")
            .increment(events.len() as u64);
        if !outcome.samples.is_empty()
            && let Err(error) = self.alerts.on_samples(&outcome.samples, now_ms).await
        {
            tracing::warn!(%error, "model rule transitions wait for the bus (kept in the outbox)");
        }
        let mut scored_until = self.scored_until.lock().expect("scored lock");
        scored_until.extend(outcome.scored_until);
    }

    /// The rule's series in the window with their latest `points` finite values.
    fn select_series(&self, rule: &Rule, points: usize) -> Vec<(SeriesKey, Vec<(i64, f64)>)> {
        let selector = &rule.selector;
        let mut selected: Vec<(SeriesKey, Vec<(i64, f64)>)> = self
            .window
            .series_keys()
            .into_iter()
            .filter(|key| key.measurement == selector.measurement && key.field == selector.field)
            .filter(|key| alert::matcher::all_match(&selector.matchers, &key.tags))
            .filter(|key| {
                selector
                    .filter
                    .as_ref()
                    .is_none_or(|filter| filter.accepts(key))
            })
            .map(|key| {
                let mut values = self.window.recent(&key);
                values.retain(|(_, value)| value.is_finite());
                let keep_from = values.len().saturating_sub(points);
                (key, values.split_off(keep_from))
            })
            .filter(|(_, values)| !values.is_empty())
            .collect();
        selected.sort_by(|first, second| first.0.cmp(&second.0));
        selected
    }

    fn forget_removed_rules(&self, rules: &[Rule]) {
        let mut scored_until = self.scored_until.lock().expect("scored lock");
        scored_until.retain(|(rule_id, _), _| rules.iter().any(|rule| &rule.id == rule_id));
    }

    /// Runs every `interval` until `shutdown`.
    pub fn spawn(
        self: &Arc<Self>,
        interval: Duration,
        shutdown: CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        let runner = self.clone();
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(interval);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    _ = ticker.tick() => {
                        let now_ms = chrono_now_ms();
                        runner.run_once(now_ms).await;
                    }
                }
            }
        })
    }
}

impl AnalyzerError {
    /// A failure of the service itself (as opposed to a request it rejected).
    fn is_service_failure_or_open(&self) -> bool {
        self.is_service_failure() || matches!(self, AnalyzerError::CircuitOpen { .. })
    }
}

fn detect_request(
    settings: &ModelSettings,
    selected: &[(SeriesKey, Vec<(i64, f64)>)],
) -> DetectRequest {
    let series = selected
        .iter()
        .map(|(key, points)| Series {
            series_id: key.to_string(),
            timestamps: Some(points.iter().map(|(at_ms, _)| *at_ms as f64).collect()),
            values: points.iter().map(|(_, value)| *value).collect(),
        })
        .collect();
    DetectRequest {
        series: Some(series),
        frame: None,
        method: settings.method.clone(),
        params: settings.params.clone(),
        model_id: settings.model_id.clone(),
    }
}

/// Adds the samples and events of points newer than each series' scored-until mark; returns
/// how many of them were flagged.
fn collect_new_points(
    rule: &Rule,
    selected: &[(SeriesKey, Vec<(i64, f64)>)],
    response: &DetectResponse,
    scored_until: &ScoredUntil,
    outcome: &mut RuleOutcome,
) -> usize {
    let mut flagged = 0;
    for ((key, points), result) in selected.iter().zip(&response.results) {
        let mark = (rule.id.clone(), key.clone());
        let already_scored_ms = scored_until.get(&mark).copied().unwrap_or(i64::MIN);
        let series_name = key.to_string();
        let score_series = anomaly_score_series(&rule.id, &series_name);
        let per_point = points.iter().zip(&result.scores).zip(&result.flags);
        for (position, (((at_ms, _), score), flag)) in per_point.enumerate() {
            if *at_ms <= already_scored_ms {
                continue;
            }
            outcome.samples.push(Sample {
                series: score_series.clone(),
                timestamp_ms: *at_ms,
                value: *score,
            });
            if !*flag {
                continue;
            }
            flagged += 1;
            outcome.events.push(AnomalyEvent {
                rule_id: rule.id.clone(),
                series: series_name.clone(),
                timestamp_ms: *at_ms,
                score: *score,
                reason: result.reasons.get(position).cloned().flatten(),
                method: response.method.clone(),
                model_id: response.model_id.clone(),
                model_version: response.version,
            });
        }
        if let Some((last_ms, _)) = points.last() {
            outcome.scored_until.push((mark, *last_ms));
        }
    }
    flagged
}

fn chrono_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis() as i64)
        .unwrap_or_default()
}
