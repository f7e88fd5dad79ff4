//! Throughput benchmark of the event bus (run by `bench/eventbus.sh`, not a test): publishes
//! `--events` envelopes of about 300 bytes in batches while one subscriber consumes and acks
//! them, and prints one JSON line with the end-to-end rate (clock stops once the last entry is
//! acked).
//!
//! `cargo run --release -p eventbus --example bus_bench -- --backend redis --events 1000000
//!  --redis-url redis://127.0.0.1:6379` (or `--backend embedded --embedded-path /tmp/bus.db`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use anyhow::{Context, bail};
use eventbus::{BusBackend, BusConfig, CancellationToken, Delivery, HandlerError};

const TARGET_PAYLOAD_BYTES: usize = 300;

struct Options {
    backend: BusBackend,
    events: u64,
    batch: usize,
    redis_url: String,
    embedded_path: String,
    /// Tokio worker threads (0 = one per core).
    worker_threads: usize,
}

fn parse_options() -> anyhow::Result<Options> {
    let mut options = Options {
        backend: BusBackend::Embedded,
        events: 1_000_000,
        batch: 1_000,
        redis_url: "redis://127.0.0.1:6379".to_string(),
        embedded_path: "bus-bench.db".to_string(),
        worker_threads: 0,
    };
    let mut arguments = std::env::args().skip(1);
    while let Some(name) = arguments.next() {
        let value = arguments
            .next()
            .with_context(|| format!("{name} needs a value"))?;
        match name.as_str() {
            "--backend" => {
                options.backend = match value.as_str() {
                    "redis" => BusBackend::Redis,
                    "embedded" => BusBackend::Embedded,
                    other => bail!("unknown backend {other:?}"),
                }
            }
            "--events" => options.events = value.parse()?,
            "--batch" => options.batch = value.parse()?,
            "--redis-url" => options.redis_url = value,
            "--embedded-path" => options.embedded_path = value,
            "--worker-threads" => options.worker_threads = value.parse()?,
            other => bail!("unknown option {other}"),
        }
    }
    Ok(options)
}

/// A batch of envelopes whose JSON is about `TARGET_PAYLOAD_BYTES` long.
fn sample_batch(size: usize) -> anyhow::Result<Vec<detectviz::Event>> {
    let bare = detectviz::Event::new(
        "/detectviz/bench",
        "io.detectviz.bench",
        &serde_json::json!({"value": 42.5, "padding": ""}),
    )?;
    let padding = "x".repeat(TARGET_PAYLOAD_BYTES.saturating_sub(bare.to_json().len()));
    (0..size)
        .map(|_| {
            detectviz::Event::new(
                "/detectviz/bench",
                "io.detectviz.bench",
                &serde_json::json!({"value": 42.5, "padding": padding}),
            )
            .map_err(anyhow::Error::from)
        })
        .collect()
}

fn main() -> anyhow::Result<()> {
    let options = parse_options()?;
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if options.worker_threads > 0 {
        runtime.worker_threads(options.worker_threads);
    }
    runtime.enable_all().build()?.block_on(run(options))
}

async fn run(options: Options) -> anyhow::Result<()> {
    let config = BusConfig {
        backend: options.backend,
        redis_url: options.redis_url.clone(),
        embedded_path: options.embedded_path.clone().into(),
        retention_max_len: 0,
        retention_max_age_s: 0,
        read_batch_size: options.batch,
        block_ms: 100,
        claim_idle_ms: 600_000,
        ..BusConfig::default()
    };
    let bus = eventbus::connect(&config).await?;
    let stream = format!("bench:eventbus:{}", std::process::id());
    let batch = sample_batch(options.batch)?;
    let payload_bytes = batch[0].to_json().len();

    if options.backend == BusBackend::Redis {
        let client = redis::Client::open(options.redis_url.as_str())?;
        let mut connection = client.get_multiplexed_async_connection().await?;
        let () = redis::cmd("CONFIG")
            .arg("RESETSTAT")
            .query_async(&mut connection)
            .await?;
    }
    let handled = Arc::new(AtomicU64::new(0));
    let shutdown = CancellationToken::new();
    let started = Instant::now();
    let consumer = {
        let (bus, stream, handled, shutdown) = (
            bus.clone(),
            stream.clone(),
            handled.clone(),
            shutdown.clone(),
        );
        let events = options.events;
        tokio::spawn(async move {
            let handler = |_delivery: Delivery| {
                if handled.fetch_add(1, Ordering::Relaxed) + 1 >= events {
                    shutdown.cancel();
                }
                std::future::ready(Ok::<(), HandlerError>(()))
            };
            bus.subscribe(&stream, "bench", "consumer-1", handler, shutdown.clone())
                .await
        })
    };
    let mut published = 0u64;
    while published < options.events {
        let count = (options.events - published).min(batch.len() as u64) as usize;
        bus.publish_batch(&stream, &batch[..count]).await?;
        published += count as u64;
    }
    consumer.await??;
    let seconds = started.elapsed().as_secs_f64();
    let info = bus.info(&stream).await?;
    let pending: u64 = info.groups.iter().map(|group| group.pending).sum();
    if pending != 0 {
        bail!("{pending} entries left pending");
    }
    let mut result = serde_json::json!({
        "backend": bus.backend_name(),
        "events": options.events,
        "payload_bytes": payload_bytes,
        "batch": options.batch,
        "seconds": (seconds * 1000.0).round() / 1000.0,
        "events_per_s": (options.events as f64 / seconds).round(),
    });
    if options.backend == BusBackend::Redis {
        let client = redis::Client::open(options.redis_url.as_str())?;
        let mut connection = client.get_multiplexed_async_connection().await?;
        let stats: String = redis::cmd("INFO")
            .arg("commandstats")
            .query_async(&mut connection)
            .await?;
        result["redis_server_usec_per_event"] = server_time_per_event(&stats, options.events);
        let () = redis::cmd("DEL")
            .arg(&stream)
            .query_async(&mut connection)
            .await?;
    }
    println!("{result}");
    Ok(())
}

/// Redis's own CPU time per event for each stream command, from `INFO commandstats`: shows
/// where the server's time goes next to the raw XADD figure.
fn server_time_per_event(stats: &str, events: u64) -> serde_json::Value {
    let mut per_command = serde_json::Map::new();
    for line in stats.lines() {
        let Some((name, fields)) = line
            .strip_prefix("cmdstat_")
            .and_then(|rest| rest.split_once(':'))
        else {
            continue;
        };
        if !name.starts_with('x') {
            continue;
        }
        let microseconds = fields
            .split(',')
            .find_map(|field| field.strip_prefix("usec="))
            .and_then(|value| value.parse::<f64>().ok())
            .unwrap_or(0.0);
        let per_event = (microseconds / events as f64 * 1000.0).round() / 1000.0;
        per_command.insert(name.to_string(), per_event.into());
    }
    per_command.into()
}
