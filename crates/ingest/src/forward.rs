//! `InfluxForwarder`: copies ingested points to an InfluxDB 1.x server (`POST /write`) for
//! history, without ever slowing ingest down.
//!
//! Points go into a bounded in-memory buffer; when it is full the oldest points are dropped and
//! counted (`detectviz_ingest_forward_dropped_total`). A background task sends batches (when
//! `batch_size` points are waiting, or every `flush_interval`) as line protocol with nanosecond
//! precision, and retries a failed batch with capped exponential backoff. A batch InfluxDB
//! refuses as bad data (4xx) is dropped and counted, since sending it again cannot succeed.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::line_protocol_writer::{UnsignedFields, write_points_with};
use crate::point::Point;

/// Where and how to forward.
#[derive(Debug, Clone, PartialEq)]
pub struct InfluxForwarderConfig {
    /// Base URL of the InfluxDB 1.x HTTP API, e.g. `http://127.0.0.1:8086`.
    pub url: String,
    pub database: String,
    pub retention_policy: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    /// Points per request.
    pub batch_size: usize,
    /// Send what is waiting at least this often.
    pub flush_interval: Duration,
    /// Points held while InfluxDB is slow or down; the oldest are dropped beyond this.
    pub buffer_capacity: usize,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    pub request_timeout: Duration,
}

impl InfluxForwarderConfig {
    /// A configuration with the usual sizes: batches of 5,000, flushed every second, 100,000
    /// points buffered, backoff from 100 ms up to 30 s, 10 s per request.
    pub fn new(url: impl Into<String>, database: impl Into<String>) -> InfluxForwarderConfig {
        InfluxForwarderConfig {
            url: url.into(),
            database: database.into(),
            retention_policy: None,
            username: None,
            password: None,
            batch_size: 5_000,
            flush_interval: Duration::from_secs(1),
            buffer_capacity: 100_000,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(30),
            request_timeout: Duration::from_secs(10),
        }
    }
}

/// Why the forwarder could not start.
#[derive(Debug, thiserror::Error)]
pub enum ForwardError {
    #[error("invalid influxdb url {url:?}: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error("cannot build the http client: {0}")]
    HttpClient(#[from] reqwest::Error),
}

struct SharedState {
    buffer: Mutex<VecDeque<Point>>,
    buffer_capacity: usize,
    batch_size: usize,
    batch_ready: Notify,
    stopping: AtomicBool,
    dropped_points: AtomicU64,
    sent_points: AtomicU64,
    rejected_points: AtomicU64,
}

/// Handle to the forwarding task. Dropping it stops the task; [`InfluxForwarder::shutdown`]
/// first sends what is buffered.
pub struct InfluxForwarder {
    shared: Arc<SharedState>,
    task: Option<JoinHandle<()>>,
}

impl InfluxForwarder {
    /// Starts the background task on the current Tokio runtime.
    pub fn start(config: InfluxForwarderConfig) -> Result<InfluxForwarder, ForwardError> {
        let write_url = write_url(&config)?;
        let client = reqwest::Client::builder()
            .timeout(config.request_timeout)
            .build()?;
        let shared = Arc::new(SharedState {
            buffer: Mutex::new(VecDeque::with_capacity(
                config.batch_size.min(config.buffer_capacity),
            )),
            buffer_capacity: config.buffer_capacity.max(1),
            batch_size: config.batch_size.max(1),
            batch_ready: Notify::new(),
            stopping: AtomicBool::new(false),
            dropped_points: AtomicU64::new(0),
            sent_points: AtomicU64::new(0),
            rejected_points: AtomicU64::new(0),
        });
        let sender = BatchSender {
            client,
            write_url,
            config,
            shared: Arc::clone(&shared),
        };
        let task = tokio::spawn(sender.run());
        Ok(InfluxForwarder {
            shared,
            task: Some(task),
        })
    }

    /// Queues copies of `points` without waiting; returns how many older points were dropped
    /// to make room.
    pub fn try_enqueue(&self, points: &[Point]) -> usize {
        self.enqueue(points.iter().cloned())
    }

    /// Queues `points` without waiting; returns how many older points were dropped.
    pub fn enqueue(&self, points: impl IntoIterator<Item = Point>) -> usize {
        let shared = &self.shared;
        let mut dropped = 0;
        let buffered = {
            let mut buffer = lock(&shared.buffer);
            for point in points {
                if buffer.len() >= shared.buffer_capacity {
                    buffer.pop_front();
                    dropped += 1;
                }
                buffer.push_back(point);
            }
            buffer.len()
        };
        if dropped > 0 {
            shared
                .dropped_points
                .fetch_add(dropped as u64, Ordering::Relaxed);
            metrics::counter!("detectviz_ingest_forward_dropped_total").increment(dropped as u64);
        }
        metrics::gauge!("detectviz_ingest_forward_buffered_points").set(buffered as f64);
        if buffered >= shared.batch_size {
            shared.batch_ready.notify_one();
        }
        dropped
    }

    /// Points dropped because the buffer was full, since start.
    pub fn dropped_points(&self) -> u64 {
        self.shared.dropped_points.load(Ordering::Relaxed)
    }

    /// Points InfluxDB acknowledged, since start.
    pub fn sent_points(&self) -> u64 {
        self.shared.sent_points.load(Ordering::Relaxed)
    }

    /// Points in batches InfluxDB refused as invalid (4xx), since start.
    pub fn rejected_points(&self) -> u64 {
        self.shared.rejected_points.load(Ordering::Relaxed)
    }

    /// Points waiting in the buffer.
    pub fn buffered_points(&self) -> usize {
        lock(&self.shared.buffer).len()
    }

    /// Sends what is buffered (trying for at most `timeout`), then stops the task.
    pub async fn shutdown(mut self, timeout: Duration) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        self.shared.batch_ready.notify_one();
        let Some(mut task) = self.task.take() else {
            return;
        };
        if tokio::time::timeout(timeout, &mut task).await.is_err() {
            task.abort();
        }
    }
}

impl Drop for InfluxForwarder {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

struct BatchSender {
    client: reqwest::Client,
    write_url: reqwest::Url,
    config: InfluxForwarderConfig,
    shared: Arc<SharedState>,
}

impl BatchSender {
    async fn run(self) {
        loop {
            let stopping = self.shared.stopping.load(Ordering::SeqCst);
            if !stopping {
                let _ = tokio::time::timeout(
                    self.config.flush_interval,
                    self.shared.batch_ready.notified(),
                )
                .await;
            }
            while let Some(batch) = self.take_batch() {
                self.send_with_retry(batch).await;
            }
            if stopping {
                return;
            }
        }
    }

    fn take_batch(&self) -> Option<Vec<Point>> {
        let mut buffer = lock(&self.shared.buffer);
        if buffer.is_empty() {
            return None;
        }
        let batch_length = buffer.len().min(self.shared.batch_size);
        let batch: Vec<Point> = buffer.drain(..batch_length).collect();
        metrics::gauge!("detectviz_ingest_forward_buffered_points").set(buffer.len() as f64);
        Some(batch)
    }

    async fn send_with_retry(&self, batch: Vec<Point>) {
        let body = write_points_with(&batch, UnsignedFields::AsClippedInteger);
        let mut backoff = self.config.initial_backoff;
        loop {
            match self.send_once(&body).await {
                SendOutcome::Written => {
                    self.shared
                        .sent_points
                        .fetch_add(batch.len() as u64, Ordering::Relaxed);
                    metrics::counter!("detectviz_ingest_forward_sent_points_total")
                        .increment(batch.len() as u64);
                    return;
                }
                SendOutcome::Refused(reason) => {
                    tracing::warn!(points = batch.len(), %reason, "influxdb refused a forwarded batch; dropping it");
                    self.shared
                        .rejected_points
                        .fetch_add(batch.len() as u64, Ordering::Relaxed);
                    metrics::counter!("detectviz_ingest_forward_rejected_points_total")
                        .increment(batch.len() as u64);
                    return;
                }
                SendOutcome::RetryLater(reason) => {
                    tracing::warn!(points = batch.len(), %reason, retry_in_ms = backoff.as_millis() as u64, "forwarding to influxdb failed; retrying");
                    metrics::counter!("detectviz_ingest_forward_failed_requests_total")
                        .increment(1);
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(self.config.max_backoff);
                }
            }
        }
    }

    async fn send_once(&self, body: &str) -> SendOutcome {
        let mut request = self
            .client
            .post(self.write_url.clone())
            .header("Content-Type", "text/plain; charset=utf-8")
            .body(body.to_owned());
        if let Some(username) = &self.config.username {
            request = request.basic_auth(username, self.config.password.as_ref());
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(error) => return SendOutcome::RetryLater(error.to_string()),
        };
        let status = response.status();
        if status.is_success() {
            return SendOutcome::Written;
        }
        let response_text = response.text().await.unwrap_or_default();
        let reason = format!("status {status}: {}", response_text.trim());
        let retryable = status.is_server_error()
            || status == reqwest::StatusCode::TOO_MANY_REQUESTS
            || status == reqwest::StatusCode::REQUEST_TIMEOUT;
        if retryable {
            return SendOutcome::RetryLater(reason);
        }
        SendOutcome::Refused(reason)
    }
}

enum SendOutcome {
    Written,
    Refused(String),
    RetryLater(String),
}

fn write_url(config: &InfluxForwarderConfig) -> Result<reqwest::Url, ForwardError> {
    let invalid = |reason: String| ForwardError::InvalidUrl {
        url: config.url.clone(),
        reason,
    };
    let base = reqwest::Url::parse(&config.url).map_err(|error| invalid(error.to_string()))?;
    if !matches!(base.scheme(), "http" | "https") {
        return Err(invalid("the scheme must be http or https".into()));
    }
    let mut write_url = base.clone();
    write_url.set_path(&format!("{}/write", base.path().trim_end_matches('/')));
    write_url.set_query(None);
    {
        let mut query = write_url.query_pairs_mut();
        query.append_pair("db", &config.database);
        query.append_pair("precision", "ns");
        if let Some(retention_policy) = &config.retention_policy {
            query.append_pair("rp", retention_policy);
        }
    }
    Ok(write_url)
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
