//! `make bench`: line protocol over HTTP on loopback into a running app (points/s), and the
//! latency from a point's arrival to its alert transition on the bus (p50, p99).
//! Prints one JSON line. `BENCH_HTTP_POINTS` sets the number of points (default 1,000,000).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use viot_web::AppState;
use viot_web::config::Config;

const LINES_PER_BATCH: usize = 5_000;
const SERIES: usize = 100_000;
const CONCURRENT_CLIENTS: usize = 4;
const LATENCY_PROBES: usize = 200;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let total_points: usize = std::env::var("BENCH_HTTP_POINTS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(1_000_000);
    let directory = tempfile::tempdir()?;
    let rules_path = directory.path().join("rules.toml");
    std::fs::write(
        &rules_path,
        "[[rules]]\nid = \"probe\"\nname = \"Probe\"\nselector = { measurement = \"latency_probe\", field = \"v\" }\n[[rules.levels]]\nseverity = \"info\"\ncondition = { op = \">\", value = 0 }\n",
    )?;
    let mut config = Config::default();
    config.alert.rules_files = vec![rules_path.display().to_string()];
    config.ingest.max_series = SERIES * 2;
    config.bus.embedded_path = directory.path().join("bus.db");
    let (state, token) = start_state(directory.path(), config).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let router = viot_web::app(state.clone());
    tokio::spawn(viot_web::server::serve_until(
        listener,
        router,
        std::future::pending(),
        Duration::from_secs(1),
    ));

    let client = reqwest::Client::new();
    let url = format!("http://{address}/api/v2/write?precision=s");
    let batches = prepare_batches(total_points);
    let started = Instant::now();
    let queue = Arc::new(Mutex::new(batches));
    let mut workers = Vec::new();
    for _ in 0..CONCURRENT_CLIENTS {
        let (client, url, token, queue) =
            (client.clone(), url.clone(), token.clone(), queue.clone());
        workers.push(tokio::spawn(async move {
            loop {
                let Some(body) = queue.lock().unwrap().pop() else {
                    return;
                };
                let response = client
                    .post(&url)
                    .header("authorization", format!("Token {token}"))
                    .body(body)
                    .send()
                    .await;
                assert_eq!(response.expect("write answered").status(), 204);
            }
        }));
    }
    for worker in workers {
        worker.await?;
    }
    let points_per_second = total_points as f64 / started.elapsed().as_secs_f64();

    let (p50, p99) = measure_alert_latency(&state, &client, &url, &token).await?;
    println!(
        "{}",
        serde_json::json!({
            "bench": "ingest_http",
            "points": total_points,
            "points_per_s": points_per_second.round(),
            "target_points_per_s": 300_000,
            "alert_latency_p50_ms": p50,
            "alert_latency_p99_ms": p99,
            "target_alert_latency_p99_ms": 50,
        })
    );
    Ok(())
}

async fn start_state(
    directory: &std::path::Path,
    config: Config,
) -> anyhow::Result<(AppState, String)> {
    let store = store::Store::connect(&format!(
        "sqlite://{}",
        directory.join("detectviz.db").display()
    ))
    .await?;
    store.migrate().await?;
    let bus = eventbus::connect(&config.bus).await?;
    let shutdown = eventbus::CancellationToken::new();
    let (ingest, alerts, tasks) =
        viot_web::commands::start_ingest_and_alerting(&config, &bus, &store, shutdown).await?;
    let request = viot_web::routes::tokens::CreateTokenRequest {
        name: "bench".into(),
        scopes: vec!["write".into()],
        expires_in_days: None,
    };
    let (token, _) = viot_web::routes::tokens::issue_token(&store, &request, "bench")
        .await
        .map_err(|error| anyhow::anyhow!(error))?;
    let state = AppState {
        login_lockout: AppState::login_lockout_from(&config),
        config: viot_web::config::ConfigHandle::new(
            directory.join("detectviz.conf"),
            config,
            Default::default(),
        ),
        health: viot_web::health::HealthRegistry::default(),
        prometheus: viot_web::telemetry::prometheus(),
        started_at: Instant::now(),
        store,
        bus,
        ingest,
        alerts,
        tasks,
        analyzer: None,
        oidc: Default::default(),
    };
    Ok((state, token))
}

fn prepare_batches(total_points: usize) -> Vec<String> {
    let batch_count = total_points.div_ceil(LINES_PER_BATCH);
    (0..batch_count)
        .map(|batch| {
            let mut body = String::with_capacity(LINES_PER_BATCH * 64);
            for line in 0..LINES_PER_BATCH {
                let series = (batch * LINES_PER_BATCH + line) % SERIES;
                body.push_str(&format!(
                    "plc,site=a,device=d{series} temp={}.5 {}\n",
                    line % 100,
                    1_732_500_000 + batch
                ));
            }
            body
        })
        .collect()
}

/// Sends one probe point at a time (a new series each, so each fires at once) and times it
/// until its transition is on `dv:alerts`.
async fn measure_alert_latency(
    state: &AppState,
    client: &reqwest::Client,
    url: &str,
    token: &str,
) -> anyhow::Result<(f64, f64)> {
    let arrivals: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let shutdown = eventbus::CancellationToken::new();
    let seen = arrivals.clone();
    let bus = state.bus.clone();
    let consumer_shutdown = shutdown.clone();
    let consumer = tokio::spawn(async move {
        let handler = move |delivery: eventbus::Delivery| {
            let seen = seen.clone();
            async move {
                if let Some(probe) = delivery.event.data["labels"]["probe"].as_str() {
                    seen.lock()
                        .unwrap()
                        .entry(probe.to_string())
                        .or_insert_with(Instant::now);
                }
                Ok::<(), eventbus::HandlerError>(())
            }
        };
        let _ = bus
            .subscribe(
                "dv:alerts",
                "bench-latency",
                "bench",
                handler,
                consumer_shutdown,
            )
            .await;
    });
    let mut latencies_ms = Vec::with_capacity(LATENCY_PROBES);
    for probe in 0..LATENCY_PROBES {
        let sent = Instant::now();
        let body = format!("latency_probe,probe=p{probe} v=1\n");
        client
            .post(url)
            .header("authorization", format!("Token {token}"))
            .body(body)
            .send()
            .await?;
        let deadline = sent + Duration::from_secs(10);
        loop {
            if let Some(arrived) = arrivals.lock().unwrap().get(&format!("p{probe}")) {
                latencies_ms.push(arrived.duration_since(sent).as_secs_f64() * 1000.0);
                break;
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "probe {probe} never reached dv:alerts"
            );
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
    }
    shutdown.cancel();
    let _ = consumer.await;
    latencies_ms.sort_by(f64::total_cmp);
    let percentile =
        |fraction: f64| latencies_ms[((latencies_ms.len() - 1) as f64 * fraction).round() as usize];
    Ok((
        (percentile(0.5) * 10.0).round() / 10.0,
        (percentile(0.99) * 10.0).round() / 10.0,
    ))
}
