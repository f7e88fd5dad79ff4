//! Where accepted metrics go: the in-memory series window, the optional InfluxDB forwarder,
//! and the alert runner's sample channel. The write routes parse; this only hands out.

use std::sync::Arc;
use std::time::Duration;

use detectviz::Sample;
use ingest::{InfluxForwarder, InfluxForwarderConfig, Point, SeriesWindow, SeriesWindowConfig};
use tokio::sync::mpsc;

use crate::config::IngestConfig;

pub struct IngestPipeline {
    pub window: Arc<SeriesWindow>,
    forwarder: Option<InfluxForwarder>,
    /// To the alert runner; `None` on nodes that do not evaluate rules.
    samples: Option<mpsc::Sender<Vec<Sample>>>,
    pub max_decompressed_bytes: usize,
}

impl IngestPipeline {
    /// Builds the pipeline; starts the forwarder when configured (needs a Tokio runtime).
    pub fn start(
        config: &IngestConfig,
        samples: Option<mpsc::Sender<Vec<Sample>>>,
    ) -> Result<IngestPipeline, ingest::ForwardError> {
        let window = Arc::new(SeriesWindow::new(SeriesWindowConfig {
            samples_per_series: config.samples_per_series,
            max_series: config.max_series,
        }));
        let stale_after = Duration::from_secs(config.stale_series_minutes * 60);
        SeriesWindow::spawn_stale_eviction(window.clone(), Duration::from_secs(60), stale_after);
        let forwarder = match config.forward_influxdb_url.is_empty() {
            true => None,
            false => {
                let mut forwarder_config = InfluxForwarderConfig::new(
                    &config.forward_influxdb_url,
                    &config.forward_influxdb_database,
                );
                forwarder_config.buffer_capacity = config.forward_buffer_points;
                if !config.forward_influxdb_username.is_empty() {
                    forwarder_config.username = Some(config.forward_influxdb_username.clone());
                    forwarder_config.password = Some(config.forward_influxdb_password.0.clone());
                }
                Some(InfluxForwarder::start(forwarder_config)?)
            }
        };
        Ok(IngestPipeline {
            window,
            forwarder,
            samples,
            max_decompressed_bytes: config.max_decompressed_bytes,
        })
    }

    /// Hands accepted points on. Waits only when the alert runner is behind (backpressure).
    pub async fn accept(&self, points: Vec<Point>) {
        if points.is_empty() {
            return;
        }
        self.window.insert_points(&points);
        self.window.publish_gauges();
        if let Some(forwarder) = &self.forwarder {
            forwarder.try_enqueue(&points);
        }
        let Some(samples) = &self.samples else { return };
        let batch: Vec<Sample> = points.iter().flat_map(Point::samples).collect();
        if !batch.is_empty() && samples.send(batch).await.is_err() {
            tracing::warn!("the alert runner stopped; samples are not evaluated");
        }
    }
}
