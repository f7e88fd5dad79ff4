//! The ingest metrics are recorded: points and rejected lines, window gauges, forward drops.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ingest::{
    FieldValue, InfluxForwarder, InfluxForwarderConfig, Point, Precision, SeriesWindow,
    SeriesWindowConfig, TimestampUnit, parse_batch, parse_telegraf_json,
};
use metrics::{Counter, Gauge, Histogram, Key, KeyName, Metadata, Recorder, SharedString, Unit};

/// Sums counter increments and keeps the last gauge value, keyed by `name{label=value,...}`.
#[derive(Default)]
struct CapturingRecorder {
    values: Arc<Mutex<HashMap<String, f64>>>,
}

struct CapturedHandle {
    name: String,
    values: Arc<Mutex<HashMap<String, f64>>>,
}

impl metrics::CounterFn for CapturedHandle {
    fn increment(&self, value: u64) {
        *self
            .values
            .lock()
            .unwrap()
            .entry(self.name.clone())
            .or_default() += value as f64;
    }
    fn absolute(&self, value: u64) {
        self.values
            .lock()
            .unwrap()
            .insert(self.name.clone(), value as f64);
    }
}

impl metrics::GaugeFn for CapturedHandle {
    fn increment(&self, value: f64) {
        *self
            .values
            .lock()
            .unwrap()
            .entry(self.name.clone())
            .or_default() += value;
    }
    fn decrement(&self, value: f64) {
        *self
            .values
            .lock()
            .unwrap()
            .entry(self.name.clone())
            .or_default() -= value;
    }
    fn set(&self, value: f64) {
        self.values.lock().unwrap().insert(self.name.clone(), value);
    }
}

impl CapturingRecorder {
    fn handle(&self, key: &Key) -> Arc<CapturedHandle> {
        let labels: Vec<String> = key
            .labels()
            .map(|label| format!("{}={}", label.key(), label.value()))
            .collect();
        let name = if labels.is_empty() {
            key.name().to_string()
        } else {
            format!("{}{{{}}}", key.name(), labels.join(","))
        };
        Arc::new(CapturedHandle {
            name,
            values: Arc::clone(&self.values),
        })
    }

    fn value(&self, name: &str) -> Option<f64> {
        self.values.lock().unwrap().get(name).copied()
    }
}

impl Recorder for CapturingRecorder {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        Counter::from_arc(self.handle(key))
    }
    fn register_gauge(&self, key: &Key, _: &Metadata<'_>) -> Gauge {
        Gauge::from_arc(self.handle(key))
    }
    fn register_histogram(&self, _: &Key, _: &Metadata<'_>) -> Histogram {
        Histogram::noop()
    }
}

#[test]
fn parsing_counts_points_and_rejected_lines_per_format() {
    let recorder = CapturingRecorder::default();
    metrics::with_local_recorder(&recorder, || {
        parse_batch(
            "cpu v=1 1\nbad\ncpu v=2 2\n# comment\n",
            Precision::Nanoseconds,
            0,
        );
        let body = br#"{"metrics":[{"name":"m","fields":{"v":1}},{"name":"m"}]}"#;
        parse_telegraf_json(body, Some(TimestampUnit::Seconds), 0).unwrap();
    });
    assert_eq!(
        recorder.value("detectviz_ingest_points_total{format=line_protocol}"),
        Some(2.0)
    );
    assert_eq!(
        recorder.value("detectviz_ingest_rejected_lines_total{format=line_protocol}"),
        Some(1.0)
    );
    assert_eq!(
        recorder.value("detectviz_ingest_points_total{format=telegraf_json}"),
        Some(1.0)
    );
    assert_eq!(
        recorder.value("detectviz_ingest_rejected_lines_total{format=telegraf_json}"),
        Some(1.0)
    );
}

#[test]
fn the_window_publishes_series_and_memory_gauges() {
    let recorder = CapturingRecorder::default();
    let window = SeriesWindow::new(SeriesWindowConfig::default());
    metrics::with_local_recorder(&recorder, || {
        let batch = parse_batch("cpu,host=a user=1,system=2 1\n", Precision::Nanoseconds, 0);
        window.insert_points(&batch.points);
    });
    assert_eq!(recorder.value("detectviz_ingest_window_series"), Some(2.0));
    let memory = recorder
        .value("detectviz_ingest_window_memory_bytes")
        .unwrap();
    assert_eq!(memory, window.approximate_memory_bytes() as f64);
    assert!(memory > 2.0 * 60.0 * 12.0);
}

#[test]
fn the_forwarder_counts_points_dropped_from_a_full_buffer() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let _entered = runtime.enter();
    let config = InfluxForwarderConfig {
        buffer_capacity: 3,
        batch_size: 100,
        flush_interval: Duration::from_secs(3_600),
        ..InfluxForwarderConfig::new("http://127.0.0.1:9", "db")
    };
    let forwarder = InfluxForwarder::start(config).unwrap();
    let points: Vec<Point> = (0..5)
        .map(|index| Point {
            measurement: "m".into(),
            tags: Vec::new(),
            fields: vec![("v".into(), FieldValue::Integer(index))],
            timestamp_ns: index,
        })
        .collect();
    let recorder = CapturingRecorder::default();
    metrics::with_local_recorder(&recorder, || forwarder.try_enqueue(&points));
    assert_eq!(
        recorder.value("detectviz_ingest_forward_dropped_total"),
        Some(2.0)
    );
    assert_eq!(
        recorder.value("detectviz_ingest_forward_buffered_points"),
        Some(3.0)
    );
    assert_eq!(forwarder.dropped_points(), 2);
}
