//! End to end with a real Prometheus (Debian's `prometheus` package, installed by `make test`):
//! Prometheus scrapes a gauge from the test, fires a rule on it and pushes the alert to
//! Detectviz as its Alertmanager (`api_version: v2`, bearer token); when the gauge drops the
//! alert must end up resolved in Detectviz.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use viot_web::config::Config;

const PROMETHEUS: &str = "/usr/bin/prometheus";
const ALERT_NAME: &str = "DetectvizTestValueHigh";
/// Only there so a broken setup fails instead of hanging; nothing is timed.
const DEADLINE: Duration = Duration::from_secs(60);

/// A `prometheus` child that is killed when dropped.
struct RunningPrometheus {
    child: Child,
    log_path: PathBuf,
}

impl RunningPrometheus {
    fn start(directory: &Path, config_path: &Path, web_port: u16) -> RunningPrometheus {
        let log_path = directory.join("prometheus.log");
        let log = std::fs::File::create(&log_path).unwrap();
        let child = Command::new(PROMETHEUS)
            .arg(format!("--config.file={}", config_path.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                directory.join("tsdb").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{web_port}"))
            .arg("--rules.alert.resend-delay=1s")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("prometheus starts");
        RunningPrometheus { child, log_path }
    }

    /// The end of Prometheus's log, for failure messages.
    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(&self.log_path).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(15)..].join("\n")
    }
}

impl Drop for RunningPrometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Serves `/metrics` with the gauge `detectviz_test_value`, read from `value` on each scrape.
async fn serve_gauge(value: Arc<AtomicU8>) -> u16 {
    let router = Router::new().route(
        "/metrics",
        get(move || {
            let value = value.load(Ordering::SeqCst);
            async move {
                format!(
                    "# HELP detectviz_test_value A gauge the test flips.\n\
                     # TYPE detectviz_test_value gauge\n\
                     detectviz_test_value {value}\n"
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, router).await });
    port
}

fn write_prometheus_config(
    directory: &Path,
    gauge_port: u16,
    detectviz_port: u16,
    token: &str,
) -> PathBuf {
    let rules_path = directory.join("rules.yml");
    let rules = format!(
        "groups:\n  - name: detectviz_test\n    rules:\n      - alert: {ALERT_NAME}\n        \
         expr: detectviz_test_value > 0\n        for: 0s\n        labels:\n          \
         severity: critical\n        annotations:\n          summary: the test gauge is up\n"
    );
    std::fs::write(&rules_path, rules).unwrap();
    let config_path = directory.join("prometheus.yml");
    let config = format!(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
         rule_files:\n  - {rules}\n\
         scrape_configs:\n  - job_name: gauge\n    static_configs:\n      \
         - targets: ['127.0.0.1:{gauge_port}']\n\
         alerting:\n  alertmanagers:\n    - api_version: v2\n      authorization:\n        \
         credentials: {token}\n      static_configs:\n        \
         - targets: ['127.0.0.1:{detectviz_port}']\n",
        rules = rules_path.display(),
    );
    std::fs::write(&config_path, config).unwrap();
    config_path
}

/// Polls `check` every 200 ms until it answers `Some`, failing after [`DEADLINE`].
async fn wait_until<T, F, Fut>(what: &str, prometheus: &RunningPrometheus, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(found) = check().await {
            return found;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "gave up waiting until {what}; Prometheus log:\n{}",
            prometheus.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Detectviz's `GET /api/v2/alerts` for the test alert.
async fn listed_test_alerts(
    client: &reqwest::Client,
    detectviz_port: u16,
    read_token: &str,
) -> Vec<serde_json::Value> {
    let url = format!(
        "http://127.0.0.1:{detectviz_port}/api/v2/alerts?filter=alertname%3D%22{ALERT_NAME}%22"
    );
    let response = client
        .get(url)
        .bearer_auth(read_token)
        .send()
        .await
        .expect("detectviz answers");
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    response.json().await.expect("an alert list")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_pushes_a_firing_then_resolved_alert() {
    assert!(
        Path::new(PROMETHEUS).exists(),
        "{PROMETHEUS} is missing: run `make test` (scripts/install-test-deps.sh installs \
         Debian's prometheus package), or `apt-get install prometheus`"
    );
    let directory = tempfile::tempdir().unwrap();
    let state = support::test_state(directory.path(), Config::default()).await;
    let write_token = support::token_for(&state.store, "prometheus", &["write"]).await;
    let read_token = support::token_for(&state.store, "grafana", &["read"]).await;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let detectviz_port = listener.local_addr().unwrap().port();
    let (_stop_detectviz, detectviz_stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(viot_web::server::serve_until(
        listener,
        viot_web::app(state.clone()),
        async {
            let _ = detectviz_stopped.await;
        },
        Duration::from_secs(1),
    ));

    let gauge = Arc::new(AtomicU8::new(1));
    let gauge_port = serve_gauge(gauge.clone()).await;
    let config_path =
        write_prometheus_config(directory.path(), gauge_port, detectviz_port, &write_token);
    let prometheus =
        RunningPrometheus::start(directory.path(), &config_path, support::spare_port());
    let client = reqwest::Client::new();

    let firing = wait_until(
        "Prometheus's alert is active in Detectviz",
        &prometheus,
        || {
            let client = &client;
            let read_token = &read_token;
            async move {
                let alerts = listed_test_alerts(client, detectviz_port, read_token).await;
                alerts.into_iter().next()
            }
        },
    )
    .await;
    assert_eq!(firing["status"]["state"], "active", "{firing}");
    assert_eq!(firing["labels"]["severity"], "critical", "{firing}");
    assert_eq!(firing["labels"]["job"], "gauge", "{firing}");
    assert_eq!(
        firing["annotations"]["summary"], "the test gauge is up",
        "{firing}"
    );
    assert!(
        firing["generatorURL"]
            .as_str()
            .unwrap_or("")
            .contains("graph"),
        "{firing}"
    );

    gauge.store(0, Ordering::SeqCst);
    let resolved = wait_until("the alert is resolved in Detectviz", &prometheus, || {
        let client = &client;
        let read_token = &read_token;
        let state = &state;
        async move {
            let listed = listed_test_alerts(client, detectviz_port, read_token).await;
            if !listed.is_empty() {
                return None;
            }
            state
                .alerts
                .external_alerts()
                .into_iter()
                .find(|alert| alert.labels.get("alertname") == Some(ALERT_NAME))
                .filter(|alert| alert.phase == alert::AlertPhase::Resolved)
        }
    })
    .await;
    assert!(
        resolved.ends_at_ms <= chrono::Utc::now().timestamp_millis(),
        "{resolved:?}"
    );
}
