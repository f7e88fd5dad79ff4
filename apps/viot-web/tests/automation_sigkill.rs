//! The automation executor survives SIGKILL in the middle of a run: `detectviz serve` runs two
//! slow scripts for one alert, is killed, and started again. The run of the rule declared
//! `idempotent` is made again (generation 1); the other is only marked `interrupted`, never
//! run twice. The alert reaches the executor through the embedded bus file both processes
//! open, the history is read from the store's SQLite file.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use store::{AutomationRunFilter, AutomationRunRecord, Store};

const BINARY: &str = env!("CARGO_BIN_EXE_detectviz");

fn write_config(directory: &Path, port: u16, scripts: &Path) -> PathBuf {
    let path = directory.join("detectviz.conf");
    let text = format!(
        r#"[server]
listen = "127.0.0.1:{port}"

[store]
url = "sqlite://{database}"

[bus]
embedded_path = "{bus}"
embedded_poll_ms = 20
block_ms = 100

[automation]
enabled = true

[[automation.rules]]
id = "once"
name = "Open the relief valve (must not run twice)"
trigger = {{ matchers = [{{ name = "alertname", op = "=", value = "SpindleTemperatureHigh" }}] }}
action = {{ type = "shell", name = "relief-valve", scripts_dir = "{scripts}", script = "slow.sh", args = ["once"] }}
timeout_s = 60

[[automation.rules]]
id = "again"
name = "Collect diagnostics (safe to repeat)"
idempotent = true
trigger = {{ matchers = [{{ name = "alertname", op = "=", value = "SpindleTemperatureHigh" }}] }}
action = {{ type = "shell", name = "diagnostics", scripts_dir = "{scripts}", script = "slow.sh", args = ["again"] }}
timeout_s = 60
"#,
        database = directory.join("detectviz.db").display(),
        bus = directory.join("bus.db").display(),
        scripts = scripts.display(),
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// `detectviz serve`, SIGKILLed when dropped.
struct Server(Child);

impl Server {
    fn start(config: &Path) -> Server {
        let child = Command::new(BINARY)
            .args(["--config", config.to_str().unwrap(), "serve"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("serve starts");
        Server(child)
    }

    fn kill(&mut self) {
        let _ = self.0.kill(); // SIGKILL
        let _ = self.0.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Lines `<rule arg> <pid>` the script wrote when it started.
fn started_lines(log: &Path) -> Vec<(String, i32)> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| {
            let (which, pid) = line.split_once(' ')?;
            Some((which.to_string(), pid.parse().ok()?))
        })
        .collect()
}

async fn history(store: &Store) -> Vec<AutomationRunRecord> {
    store
        .automation_runs()
        .list(&AutomationRunFilter {
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap_or_default()
}

async fn wait_until<Ready: Fn() -> bool>(ready: Ready, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !ready() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_run_cut_by_sigkill_is_marked_interrupted_and_only_an_idempotent_one_runs_again() {
    let directory = tempfile::tempdir().unwrap();
    let scripts = directory.path().join("scripts");
    std::fs::create_dir(&scripts).unwrap();
    let log = directory.path().join("started.log");
    let script = scripts.join("slow.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho \"$1 $$\" >> {}\nsleep 3\necho finished\n",
            log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let config = write_config(directory.path(), support::spare_port(), &scripts);

    let mut server = Server::start(&config);
    let bus = eventbus::connect(&eventbus::BusConfig {
        embedded_path: directory.path().join("bus.db"),
        ..Default::default()
    })
    .await
    .unwrap();
    let mut transition = automation::sample::sample_transition();
    transition.at_ms = chrono::Utc::now().timestamp_millis();
    let event = detectviz::Event::new("/detectviz/alert", "io.detectviz.alert.firing", &transition)
        .unwrap();
    bus.publish("dv:alerts", &event).await.unwrap();

    wait_until(|| started_lines(&log).len() == 2, "both scripts started").await;
    server.kill();
    // The scripts run in their own process groups; stop them as an operator would.
    for (_, pid) in started_lines(&log) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{pid}")])
            .status();
    }
    let store = Store::connect(&format!(
        "sqlite://{}",
        directory.path().join("detectviz.db").display()
    ))
    .await
    .unwrap();
    let statuses: Vec<String> = history(&store)
        .await
        .into_iter()
        .map(|run| run.status)
        .collect();
    assert_eq!(statuses, ["started", "started"], "killed mid-run");

    let _server = Server::start(&config);
    let deadline = Instant::now() + Duration::from_secs(30);
    let runs = loop {
        let runs = history(&store).await;
        let again_done = runs
            .iter()
            .any(|run| run.run.rule_id == "again" && run.status == "succeeded");
        if again_done || Instant::now() > deadline {
            break runs;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let mut summary: Vec<(String, i64, String)> = runs
        .iter()
        .map(|run| {
            (
                run.run.rule_id.clone(),
                run.run.generation,
                run.status.clone(),
            )
        })
        .collect();
    summary.sort();
    assert_eq!(
        summary,
        [
            ("again".to_string(), 0, "interrupted".to_string()),
            ("again".to_string(), 1, "succeeded".to_string()),
            ("once".to_string(), 0, "interrupted".to_string()),
        ]
    );
    let interrupted = runs.iter().find(|run| run.run.rule_id == "once").unwrap();
    assert!(interrupted.ended_at_ms.is_some());
    assert!(
        interrupted.error.as_deref().unwrap().contains("stopped"),
        "{interrupted:?}"
    );
    let started: Vec<String> = started_lines(&log)
        .into_iter()
        .map(|(which, _)| which)
        .collect();
    assert_eq!(started.iter().filter(|which| *which == "once").count(), 1);
    assert_eq!(started.iter().filter(|which| *which == "again").count(), 2);
    // The redelivered alert entry is acknowledged once its runs are settled.
    let bus_ref = &bus;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let info = bus_ref.info("dv:alerts").await.unwrap();
        let settled = info
            .groups
            .iter()
            .any(|group| group.name == "automation" && group.pending == 0);
        if settled {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "dv:alerts still pending: {info:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
