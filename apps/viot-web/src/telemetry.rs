//! Logs and metrics: the `tracing` subscriber (JSON, or human text on a terminal) with a log
//! level that can change at run time, and the Prometheus recorder behind `/metrics`.

use std::io::IsTerminal;
use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Registry, reload};

use crate::config::{LogConfig, LogFormat};

/// Changes the log filter of the running process.
#[derive(Clone)]
pub struct LogLevelControl {
    handle: Option<reload::Handle<EnvFilter, Registry>>,
}

impl LogLevelControl {
    /// A control that changes nothing, for tests and commands that do not log.
    pub fn disabled() -> LogLevelControl {
        LogLevelControl { handle: None }
    }

    pub fn set_level(&self, level: &str) {
        let Some(handle) = &self.handle else { return };
        match EnvFilter::try_new(level) {
            Ok(filter) => {
                if handle.reload(filter).is_ok() {
                    tracing::info!(level, "log level changed");
                }
            }
            Err(error) => tracing::error!(level, %error, "log level rejected"),
        }
    }
}

/// Installs the global subscriber. Logs go to stderr so command output stays on stdout, and
/// to the in-memory ring the console's log viewer reads (`log_ring`).
pub fn init_logging(config: &LogConfig) -> LogLevelControl {
    let filter = EnvFilter::try_new(&config.level).unwrap_or_else(|_| EnvFilter::new("info"));
    let (filter_layer, handle) = reload::Layer::new(filter);
    let json = match config.format {
        LogFormat::Json => true,
        LogFormat::Text => false,
        LogFormat::Auto => !std::io::stderr().is_terminal(),
    };
    let json_layer = json.then(|| {
        tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_writer(std::io::stderr)
    });
    let text_layer = (!json).then(|| tracing_subscriber::fmt::layer().with_writer(std::io::stderr));
    let installed = tracing_subscriber::registry()
        .with(filter_layer)
        .with(json_layer)
        .with(text_layer)
        .with(crate::log_ring::LogRingLayer)
        .try_init();
    LogLevelControl {
        handle: installed.is_ok().then_some(handle),
    }
}

static PROMETHEUS: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process-wide Prometheus recorder, installed on first use.
pub fn prometheus() -> PrometheusHandle {
    PROMETHEUS
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Suffix("_seconds".into()),
                    &[
                        0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
                    ],
                )
                .expect("bucket list is not empty")
                .build_recorder();
            let handle = recorder.handle();
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}
