//! The alert runner: the thin IO shell around the pure [`evaluate`](crate::evaluate).
//!
//! It evaluates every arriving batch of samples and, on a tick, the time-driven rules (absent,
//! for-duration) and the alerts pushed through the Alertmanager API; then publishes each
//! transition as an event on `dv:alerts`. A publish that fails keeps its transitions in a
//! bounded outbox that the next batch or tick publishes first, in order, so a bus outage
//! delays transitions instead of losing them (the oldest are dropped, and counted, only when
//! the outbox is full).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use detectviz::{Event, Sample};
use eventbus::{BusError, CancellationToken, EventBus};
use tokio::sync::mpsc;

use crate::alertmanager::{ExternalAlerts, PostableAlert};
use crate::{AlertError, EngineState, Rule, Transition, evaluate};

/// The stream alert transitions are published on.
pub const ALERTS_STREAM: &str = "dv:alerts";
/// CloudEvents `source` of alert transitions.
pub const ALERT_EVENT_SOURCE: &str = "/detectviz/alert";
/// Transitions kept while the bus is unreachable.
const OUTBOX_CAPACITY: usize = 100_000;

/// CloudEvents `type` of a transition, e.g. `io.detectviz.alert.firing`.
pub fn event_type(transition: &Transition) -> String {
    format!("io.detectviz.alert.{}", transition.kind.as_str())
}

pub struct AlertRunner {
    bus: EventBus,
    rules: RwLock<Arc<Vec<Rule>>>,
    engine: Mutex<EngineState>,
    external: Mutex<ExternalAlerts>,
    outbox: Mutex<VecDeque<Transition>>,
}

impl AlertRunner {
    pub fn new(bus: EventBus, rules: Vec<Rule>) -> Arc<AlertRunner> {
        Arc::new(AlertRunner {
            bus,
            rules: RwLock::new(Arc::new(rules)),
            engine: Mutex::new(EngineState::new()),
            external: Mutex::new(ExternalAlerts::default()),
            outbox: Mutex::new(VecDeque::new()),
        })
    }

    pub fn rules(&self) -> Arc<Vec<Rule>> {
        self.rules.read().expect("rules lock").clone()
    }

    /// Replaces the rule set; alerts of rules that are gone are dropped by the next evaluation.
    pub fn set_rules(&self, rules: Vec<Rule>) {
        *self.rules.write().expect("rules lock") = Arc::new(rules);
    }

    /// Evaluates a batch and publishes its transitions; returns them.
    pub async fn on_samples(
        &self,
        samples: &[Sample],
        now_ms: i64,
    ) -> Result<Vec<Transition>, BusError> {
        let rules = self.rules();
        let transitions = {
            let mut engine = self.engine.lock().expect("engine lock");
            evaluate(&rules, samples, &mut engine, now_ms)
        };
        self.publish(transitions.clone()).await?;
        Ok(transitions)
    }

    /// Time-driven evaluation: absent and for-duration rules, and external alerts that
    /// were not re-sent or whose `endsAt` passed.
    pub async fn on_tick(&self, now_ms: i64) -> Result<Vec<Transition>, BusError> {
        let rules = self.rules();
        let mut transitions = {
            let mut engine = self.engine.lock().expect("engine lock");
            evaluate(&rules, &[], &mut engine, now_ms)
        };
        transitions.extend(self.external.lock().expect("external lock").tick(now_ms));
        self.publish(transitions.clone()).await?;
        Ok(transitions)
    }

    /// Alerts pushed by Prometheus or Grafana (`POST /api/v2/alerts`). Valid alerts are kept
    /// even when others in the same body are rejected; rejections name their index.
    pub async fn on_external_alerts(
        &self,
        alerts: &[PostableAlert],
        now_ms: i64,
    ) -> Result<Vec<(usize, AlertError)>, BusError> {
        let (transitions, rejected) = self
            .external
            .lock()
            .expect("external lock")
            .receive_all(alerts, now_ms);
        self.publish(transitions).await?;
        Ok(rejected)
    }

    /// The alerts pushed through the Alertmanager API that are still known.
    pub fn external_alerts(&self) -> Vec<crate::alertmanager::ExternalAlert> {
        self.external
            .lock()
            .expect("external lock")
            .alerts()
            .cloned()
            .collect()
    }

    /// Transitions waiting for the bus to come back.
    pub fn outbox_len(&self) -> usize {
        self.outbox.lock().expect("outbox lock").len()
    }

    async fn publish(&self, transitions: Vec<Transition>) -> Result<(), BusError> {
        let pending: Vec<Transition> = {
            let mut outbox = self.outbox.lock().expect("outbox lock");
            outbox.extend(transitions);
            outbox.drain(..).collect()
        };
        if pending.is_empty() {
            return Ok(());
        }
        let events: Vec<Event> = pending
            .iter()
            .map(|transition| {
                Event::new(ALERT_EVENT_SOURCE, event_type(transition), transition)
                    .expect("a transition serialises")
            })
            .collect();
        match self.bus.publish_batch(ALERTS_STREAM, &events).await {
            Ok(_) => {
                metrics::counter!("detectviz_alert_transitions_published_total")
                    .increment(events.len() as u64);
                Ok(())
            }
            Err(error) => {
                self.keep_for_later(pending);
                Err(error)
            }
        }
    }

    fn keep_for_later(&self, pending: Vec<Transition>) {
        let mut outbox = self.outbox.lock().expect("outbox lock");
        for transition in pending.into_iter().rev() {
            outbox.push_front(transition);
        }
        let overflow = outbox.len().saturating_sub(OUTBOX_CAPACITY);
        if overflow > 0 {
            outbox.drain(..overflow);
            metrics::counter!("detectviz_alert_transitions_dropped_total")
                .increment(overflow as u64);
            tracing::error!(
                dropped = overflow,
                "alert outbox full while the bus is down; oldest transitions dropped"
            );
        }
    }

    /// Runs until `shutdown`: evaluates each batch from `samples`, and ticks every `tick`.
    pub fn spawn(
        self: &Arc<Self>,
        mut samples: mpsc::Receiver<Vec<Sample>>,
        tick: Duration,
        shutdown: CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        let runner = self.clone();
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(tick);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                let result = tokio::select! {
                    () = shutdown.cancelled() => return,
                    batch = samples.recv() => match batch {
                        Some(batch) => runner.on_samples(&batch, now_ms()).await.map(|_| ()),
                        None => return,
                    },
                    _ = ticker.tick() => runner.on_tick(now_ms()).await.map(|_| ()),
                };
                if let Err(error) = result {
                    tracing::warn!(%error, outbox = runner.outbox_len(), "alert transitions wait for the bus");
                }
            }
        })
    }
}

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
