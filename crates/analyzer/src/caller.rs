//! [`Analyzer`]: the spec's AnalyzerPlugin (detect, train, model info, update config) as the
//! rest of the core uses it. It is the caller layer around the one-attempt
//! [`AnalyzerClient`]: retries retryable errors with exponential backoff and jitter, and keeps
//! a [`CircuitBreaker`] so a dead service fails fast. Each attempt gets a child span of the
//! caller's trace context.

use std::future::Future;
use std::time::{Duration, Instant};

use rand::Rng;

use crate::api::{
    ConfigUpdate, DetectRequest, DetectResponse, ModelInfo, ServiceHealth, TrainRequest,
    TrainResponse,
};
use crate::breaker::{BreakerState, CircuitBreaker};
use crate::{AnalyzerClient, AnalyzerConfig, AnalyzerError, TraceContext};

pub struct Analyzer {
    client: AnalyzerClient,
    breaker: CircuitBreaker,
    max_attempts: u32,
    backoff_initial: Duration,
    backoff_max: Duration,
}

impl Analyzer {
    pub fn new(config: &AnalyzerConfig) -> Result<Analyzer, AnalyzerError> {
        Ok(Analyzer {
            client: AnalyzerClient::new(config)?,
            breaker: CircuitBreaker::new(
                config.breaker_failures,
                Duration::from_millis(config.breaker_open_ms),
            ),
            max_attempts: config.max_attempts.max(1),
            backoff_initial: Duration::from_millis(config.backoff_initial_ms),
            backoff_max: Duration::from_millis(config.backoff_max_ms),
        })
    }

    pub fn base_url(&self) -> &str {
        self.client.base_url()
    }

    pub fn breaker_state(&self) -> BreakerState {
        self.breaker.state()
    }

    /// The last service failure while the circuit is not closed.
    pub fn breaker_error(&self) -> Option<String> {
        self.breaker.last_error()
    }

    pub async fn health(&self, trace: &TraceContext) -> Result<ServiceHealth, AnalyzerError> {
        self.call(trace, |attempt| async move {
            self.client.health(&attempt).await
        })
        .await
    }

    pub async fn detect(
        &self,
        request: &DetectRequest,
        trace: &TraceContext,
    ) -> Result<DetectResponse, AnalyzerError> {
        self.call(trace, |attempt| async move {
            self.client.detect(request, &attempt).await
        })
        .await
    }

    pub async fn train(
        &self,
        request: &TrainRequest,
        trace: &TraceContext,
    ) -> Result<TrainResponse, AnalyzerError> {
        self.call(trace, |attempt| async move {
            self.client.train(request, &attempt).await
        })
        .await
    }

    pub async fn model_info(
        &self,
        model_id: &str,
        trace: &TraceContext,
    ) -> Result<ModelInfo, AnalyzerError> {
        self.call(trace, |attempt| async move {
            self.client.model_info(model_id, &attempt).await
        })
        .await
    }

    pub async fn update_config(
        &self,
        model_id: &str,
        update: &ConfigUpdate,
        trace: &TraceContext,
    ) -> Result<ModelInfo, AnalyzerError> {
        self.call(trace, |attempt| async move {
            self.client.update_config(model_id, update, &attempt).await
        })
        .await
    }

    async fn call<Answer, Attempt, AttemptFuture>(
        &self,
        trace: &TraceContext,
        attempt: Attempt,
    ) -> Result<Answer, AnalyzerError>
    where
        Attempt: Fn(TraceContext) -> AttemptFuture,
        AttemptFuture: Future<Output = Result<Answer, AnalyzerError>>,
    {
        let mut attempts_made = 0;
        loop {
            if let Err(rejected) = self.breaker.admit(Instant::now()) {
                return Err(AnalyzerError::CircuitOpen {
                    retry_in_ms: rejected.retry_in.as_millis() as u64,
                    last_error: rejected.last_error,
                });
            }
            attempts_made += 1;
            let error = match attempt(trace.child()).await {
                Ok(answer) => {
                    self.breaker.record_success();
                    return Ok(answer);
                }
                Err(error) => error,
            };
            metrics::counter!("detectviz_analyzer_call_failures_total").increment(1);
            if !error.is_service_failure() {
                // The service answered (a bad request, an unknown model): it is up.
                self.breaker.record_success();
                return Err(error);
            }
            self.breaker
                .record_failure(Instant::now(), &error.to_string());
            if attempts_made >= self.max_attempts || self.breaker.state() == BreakerState::Open {
                return Err(error);
            }
            tokio::time::sleep(self.backoff(attempts_made)).await;
        }
    }

    /// Exponential backoff after `attempts_made` failed attempts, with up to 50 % jitter.
    fn backoff(&self, attempts_made: u32) -> Duration {
        let exponent = attempts_made.saturating_sub(1).min(16);
        let base = self
            .backoff_initial
            .saturating_mul(1 << exponent)
            .min(self.backoff_max);
        let jitter = rand::rng().random_range(0.5..=1.0);
        base.mul_f64(jitter)
    }
}
