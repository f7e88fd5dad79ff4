//! `make bench`: server-side time of the console's alert page with 1,000 rows (p50, p99;
//! target p99 at most 20 ms) and of pages of a 100,000-alert table served with remote
//! pagination (p50, p99), in process through the whole router. Prints one JSON line.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use tower::ServiceExt;
use viot_web::AppState;
use viot_web::config::Config;

const ALERTS: i64 = 100_000;
const RENDER_RUNS: usize = 200;
const PAGE_RUNS: usize = 500;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let directory = tempfile::tempdir()?;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut config = Config::default();
    config.bus.embedded_path = directory.path().join("bus.db");
    config.console.web_dir = root.join("web");
    config.console.pages_file = root.join("conf/pages.yaml");
    let state = start_state(directory.path(), config).await?;
    fill_alerts(&state.store).await?;
    let cookie = session(&state.store).await?;
    let app = viot_web::app(state.clone());

    let mut render_ms = Vec::with_capacity(RENDER_RUNS);
    let mut html_bytes = 0;
    for _ in 0..RENDER_RUNS {
        let started = Instant::now();
        let body = get(&app, "/pages/record-status", &cookie).await?;
        render_ms.push(started.elapsed());
        html_bytes = body.len();
    }
    let rows = html_bytes_rows(&get(&app, "/pages/record-status", &cookie).await?);

    let mut page_ms = Vec::with_capacity(PAGE_RUNS);
    for run in 0..PAGE_RUNS {
        let page = (run * 7_919) % 2_000 + 1;
        let started = Instant::now();
        get(
            &app,
            &format!("/api/console/alerts?page={page}&size=50"),
            &cookie,
        )
        .await?;
        page_ms.push(started.elapsed());
    }
    let last = get(&app, "/api/console/alerts?page=2000&size=50", &cookie).await?;
    let last: serde_json::Value = serde_json::from_slice(&last)?;
    println!(
        "{}",
        serde_json::json!({
            "bench": "console",
            "page_rows": rows,
            "page_html_bytes": html_bytes,
            "render_p50_ms": percentile(&mut render_ms, 0.50),
            "render_p99_ms": percentile(&mut render_ms, 0.99),
            "target_render_p99_ms": 20,
            "table_rows": last["total"],
            "remote_page_size": 50,
            "remote_page_p50_ms": percentile(&mut page_ms, 0.50),
            "remote_page_p99_ms": percentile(&mut page_ms, 0.99),
        })
    );
    Ok(())
}

fn html_bytes_rows(html: &[u8]) -> usize {
    String::from_utf8_lossy(html)
        .matches("data-fingerprint=")
        .count()
}

fn percentile(samples: &mut [Duration], quantile: f64) -> f64 {
    samples.sort();
    let index = ((samples.len() as f64 - 1.0) * quantile).round() as usize;
    (samples[index].as_secs_f64() * 1_000.0 * 100.0).round() / 100.0
}

async fn get(app: &axum::Router, path: &str, cookie: &str) -> anyhow::Result<Vec<u8>> {
    let request = Request::get(path)
        .header("cookie", cookie)
        .body(Body::empty())?;
    let response = app.clone().oneshot(request).await?;
    anyhow::ensure!(
        response.status() == StatusCode::OK,
        "{path}: {}",
        response.status()
    );
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await?;
    Ok(bytes.to_vec())
}

async fn fill_alerts(store: &store::Store) -> anyhow::Result<()> {
    let severities = ["critical", "warning", "info"];
    for index in 0..ALERTS {
        let record = store::AlertStateRecord {
            fingerprint: format!("{index:016x}"),
            rule_id: format!("rule-{}", index % 50),
            rule_name: format!("PumpTemperatureHigh{}", index % 50),
            severity: severities[(index % 3) as usize].into(),
            state: if index % 4 == 0 { "resolved" } else { "firing" }.into(),
            labels: BTreeMap::from([
                ("device".to_string(), format!("pump-{index}")),
                ("site".to_string(), "north".to_string()),
            ]),
            annotations: BTreeMap::new(),
            value: Some(90.0 + (index % 10) as f64),
            active_since_ms: Some(1_764_000_000_000 + index),
            updated_at_ms: 1_764_000_000_000 + index,
            resolved_at_ms: None,
        };
        store.alerts().upsert_state(&record).await?;
    }
    Ok(())
}

async fn session(store: &store::Store) -> anyhow::Result<String> {
    let user = store
        .users()
        .create(&store::NewUser {
            username: "bench".into(),
            display_name: "bench".into(),
            password_hash: "-".into(),
            role: "admin".into(),
            active: true,
        })
        .await?;
    let session_id = viot_web::auth::secrets::random_hex(32);
    store
        .sessions()
        .create(&store::NewSession {
            session_hash: viot_web::auth::secrets::digest(&session_id),
            user_id: user.id,
            csrf_token: "x".into(),
            expires_at_ms: chrono::Utc::now().timestamp_millis() + 3_600_000,
            source_ip: None,
            user_agent: None,
        })
        .await?;
    Ok(format!("dv_session={session_id}"))
}

async fn start_state(directory: &std::path::Path, config: Config) -> anyhow::Result<AppState> {
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
    Ok(AppState {
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
    })
}
