//! The `detectviz` binary as an operator runs it: check-config, serve, hot reload, bad
//! databases, graceful stop on SIGTERM.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BINARY: &str = env!("CARGO_BIN_EXE_detectviz");

fn detectviz(arguments: &[&str]) -> Output {
    Command::new(BINARY)
        .args(arguments)
        .env("NO_COLOR", "1")
        .output()
        .expect("binary runs")
}

fn stderr_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn write_config(directory: &Path, port: u16, extra: &str) -> PathBuf {
    let path = directory.join("detectviz.conf");
    let database = directory.join("data").join("detectviz.db");
    let text = format!(
        "[server]\nlisten = \"127.0.0.1:{port}\"\nshutdown_grace_s = 5\n\n[auth]\nmetrics_public = true\n\n[log]\nlevel = \"info\"\n{extra}\n[store]\nurl = \"sqlite://{}\"\n\n[bus]\nembedded_path = \"{}\"\n",
        database.display(),
        directory.join("data").join("bus.db").display()
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// A `detectviz serve` child that is killed when dropped.
struct RunningServer {
    child: Child,
    port: u16,
}

impl RunningServer {
    fn start(config: &Path, port: u16) -> RunningServer {
        let child = Command::new(BINARY)
            .args(["--config", config.to_str().unwrap(), "serve"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("serve starts");
        let server = RunningServer { child, port };
        server.wait_for(|status, _| status.is_some(), "the server answers");
        server
    }

    fn health(&self) -> Option<(u16, serde_json::Value)> {
        let url = format!("http://127.0.0.1:{}/api/health", self.port);
        let response = blocking_get(&url)?;
        Some((response.0, serde_json::from_str(&response.1).ok()?))
    }

    fn wait_for(
        &self,
        predicate: impl Fn(Option<u16>, &serde_json::Value) -> bool,
        what: &str,
    ) -> serde_json::Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let (status, body) = match self.health() {
                Some((status, body)) => (Some(status), body),
                None => (None, serde_json::Value::Null),
            };
            if predicate(status, &body) {
                return body;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting until {what}; last health: {body}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A tiny HTTP/1.1 GET over std, so the test needs no runtime: (status, body).
fn blocking_get(url: &str) -> Option<(u16, String)> {
    use std::io::{Read, Write};
    let address = url.strip_prefix("http://")?.split('/').next()?;
    let path = &url[url.find(address)? + address.len()..];
    let mut stream = std::net::TcpStream::connect(address).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split_whitespace().nth(1)?.parse().ok()?;
    let body = response.split_once("\r\n\r\n")?.1;
    let body = if response
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        unchunk(body)
    } else {
        body.to_string()
    };
    Some((status, body))
}

fn unchunk(body: &str) -> String {
    let mut output = String::new();
    let mut rest = body;
    while let Some((size_line, after)) = rest.split_once("\r\n") {
        let size = usize::from_str_radix(size_line.trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        output.push_str(&after[..size]);
        rest = &after[size + 2..];
    }
    output
}

#[test]
fn check_config_accepts_the_shipped_file() {
    let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/../../conf/detectviz.conf");
    let output = detectviz(&["check-config", "--config", shipped]);
    assert!(output.status.success(), "{}", stderr_of(&output));
}

#[test]
fn check_config_names_file_line_and_key_of_a_broken_file() {
    let directory = tempfile::tempdir().unwrap();
    let broken = directory.path().join("broken.conf");
    std::fs::write(
        &broken,
        "[server]\nlisten = \"127.0.0.1:8080\"\n\n[log]\nlevl = \"debug\"\n",
    )
    .unwrap();
    let output = detectviz(&["check-config", "--config", broken.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let message = stderr_of(&output);
    assert!(
        message.contains(&format!("{}:5:", broken.display())),
        "{message}"
    );
    assert!(message.contains("log.levl"), "{message}");
    assert!(!message.contains("panicked"), "{message}");
}

#[test]
fn a_missing_config_file_says_how_to_create_one() {
    let output = detectviz(&["check-config", "--config", "/nonexistent/dv.conf"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr_of(&output).contains("detectviz config-template > /nonexistent/dv.conf"),
        "{}",
        stderr_of(&output)
    );
}

#[test]
fn an_unreachable_database_at_start_exits_1_with_a_clear_message() {
    let directory = tempfile::tempdir().unwrap();
    let closed_port = support::spare_port();
    let path = directory.path().join("detectviz.conf");
    std::fs::write(
        &path,
        format!("[store]\nurl = \"mysql://root:hunter2@127.0.0.1:{closed_port}/detectviz\"\n"),
    )
    .unwrap();
    let output = detectviz(&[
        "--config",
        path.to_str().unwrap(),
        "serve",
        "--listen",
        "127.0.0.1:0",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let message = stderr_of(&output);
    assert!(message.contains("cannot open the database"), "{message}");
    assert!(
        !message.contains("hunter2"),
        "the password must not be printed: {message}"
    );
    assert!(
        !message.contains("panicked") && !message.contains("backtrace"),
        "{message}"
    );
}

#[test]
fn version_and_template_print() {
    let output = detectviz(&["version"]);
    assert!(String::from_utf8_lossy(&output.stdout).contains(detectviz::VERSION));
    let output = detectviz(&["config-template"]);
    assert!(String::from_utf8_lossy(&output.stdout).contains("[server]"));
}

#[test]
fn serve_applies_valid_edits_rejects_invalid_ones_and_stops_on_sigterm() {
    let directory = tempfile::tempdir().unwrap();
    let port = support::spare_port();
    let config = write_config(directory.path(), port, "");
    let mut server = RunningServer::start(&config, port);
    let health = server.wait_for(|status, _| status == Some(200), "health is 200");
    assert_eq!(health["modules"]["store"]["status"], "up");
    assert_eq!(health["modules"]["bus"]["status"], "up");
    assert_eq!(health["modules"]["bus"]["message"], "embedded backend");
    assert!(
        directory.path().join("data/detectviz.db").exists(),
        "the SQLite file is created on first start"
    );

    write_config(directory.path(), port, "format = \"json\"\n");
    let health = server.wait_for(
        |_, body| {
            body["modules"]["config"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("1 reloads applied"))
        },
        "the valid edit is applied",
    );
    assert_eq!(health["status"], "up");

    std::fs::write(&config, "[server]\nlisten = 12\n").unwrap();
    let health = server.wait_for(
        |_, body| body["modules"]["config"]["status"] == "degraded",
        "the invalid edit is reported",
    );
    let message = health["modules"]["config"]["message"].as_str().unwrap();
    assert!(
        message.contains("detectviz.conf:2:") && message.contains("server.listen"),
        "{message}"
    );
    assert_eq!(
        health["status"], "degraded",
        "the server keeps running on the last valid config"
    );
    let metrics = blocking_get(&format!("http://127.0.0.1:{port}/metrics"))
        .unwrap()
        .1;
    assert!(
        metrics.contains("detectviz_config_reload_failures_total 1"),
        "{metrics}"
    );

    let pid = server.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(exit) = server.child.try_wait().unwrap() {
            break exit;
        }
        assert!(
            Instant::now() < deadline,
            "server did not stop after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "a graceful stop exits 0: {exit:?}");
}

#[tokio::test]
async fn bus_info_and_replay_show_what_was_published() {
    let directory = tempfile::tempdir().unwrap();
    let config = write_config(directory.path(), support::spare_port(), "");
    let bus_config = eventbus::BusConfig {
        embedded_path: directory.path().join("data").join("bus.db"),
        ..Default::default()
    };
    let bus = eventbus::connect(&bus_config).await.unwrap();
    let before = chrono::Utc::now() - chrono::Duration::seconds(5);
    for value in 0..3 {
        let event = detectviz::Event::new(
            "/test",
            "io.detectviz.test",
            &serde_json::json!({"value": value}),
        )
        .unwrap();
        bus.publish("dv:test", &event).await.unwrap();
    }
    drop(bus);
    let config = config.to_str().unwrap();

    let output = detectviz(&["--config", config, "bus", "info", "--json"]);
    assert!(output.status.success(), "{}", stderr_of(&output));
    let info: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let stream = info
        .as_array()
        .unwrap()
        .iter()
        .find(|stream| stream["stream"] == "dv:test")
        .expect("dv:test listed");
    assert_eq!(stream["length"], 3);

    let output = detectviz(&[
        "--config",
        config,
        "replay",
        "--stream",
        "dv:test",
        "--from",
        &before.to_rfc3339(),
    ]);
    assert!(output.status.success(), "{}", stderr_of(&output));
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let values: Vec<i64> = lines
        .iter()
        .map(|line| line["event"]["data"]["value"].as_i64().unwrap())
        .collect();
    assert_eq!(values, [0, 1, 2]);

    let second_id = lines[1]["id"].as_str().unwrap();
    let output = detectviz(&[
        "--config", config, "replay", "--stream", "dv:test", "--from", second_id,
    ]);
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).lines().count(),
        2,
        "replay from an id includes it"
    );

    let output = detectviz(&[
        "--config",
        config,
        "replay",
        "--stream",
        "dv:test",
        "--from",
        "yesterday",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr_of(&output).contains("neither an entry id"),
        "{}",
        stderr_of(&output)
    );
}

#[test]
fn the_redis_backend_is_chosen_from_the_environment() {
    let directory = tempfile::tempdir().unwrap();
    let config = write_config(directory.path(), support::spare_port(), "");
    let redis_url = std::env::var("DETECTVIZ_TEST_REDIS_URL")
        .unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let stream = format!("dv:test:{}", uuid::Uuid::new_v4().simple());
    let output = Command::new(BINARY)
        .args([
            "--config",
            config.to_str().unwrap(),
            "bus",
            "info",
            "--stream",
            &stream,
        ])
        .env("DETECTVIZ_BUS__BACKEND", "redis")
        .env("DETECTVIZ_BUS__REDIS_URL", &redis_url)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(table.contains("backend: redis"), "{table}");

    let output = Command::new(BINARY)
        .args(["--config", config.to_str().unwrap(), "bus", "info"])
        .env("DETECTVIZ_BUS__BACKEND", "kafka")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr_of(&output).contains("DETECTVIZ_BUS__BACKEND"),
        "{}",
        stderr_of(&output)
    );
}

#[test]
fn user_add_creates_the_first_admin_and_roles_from_the_command_line() {
    let directory = tempfile::tempdir().unwrap();
    let config = write_config(directory.path(), support::spare_port(), "");
    let config = config.to_str().unwrap();
    let add = |arguments: &[&str]| {
        let mut command = Command::new(BINARY);
        command
            .args(["--config", config, "user", "add"])
            .args(arguments)
            .env("DETECTVIZ_NEW_PASSWORD", "a long enough password 42");
        command.output().expect("binary runs")
    };

    let admin = add(&["--username", "first-admin", "--admin"]);
    assert!(
        admin.status.success(),
        "user add --admin: {}",
        stderr_of(&admin)
    );
    let operator = add(&["--username", "night-shift", "--role", "operator"]);
    assert!(
        operator.status.success(),
        "user add --role: {}",
        stderr_of(&operator)
    );
    let wrong = add(&["--username", "someone", "--role", "superuser"]);
    assert!(!wrong.status.success());
    assert!(
        stderr_of(&wrong).contains("superuser"),
        "{}",
        stderr_of(&wrong)
    );

    let listed = detectviz(&["--config", config, "user", "list"]);
    let listing = String::from_utf8_lossy(&listed.stdout);
    assert!(
        listing
            .lines()
            .any(|line| line.contains("first-admin") && line.contains("admin")),
        "{listing}"
    );
    assert!(
        listing
            .lines()
            .any(|line| line.contains("night-shift") && line.contains("operator")),
        "{listing}"
    );
    assert!(!listing.contains("someone"), "{listing}");
}
