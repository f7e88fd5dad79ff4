//! The notifier killed in the middle of a delivery: a real `detectviz serve` child posts a
//! notification to a receiver that takes the message but never answers, the test SIGKILLs
//! the process, starts it again on the same store and bus, and checks that the receiver
//! holds exactly one message.
//!
//! Exactly once, as the receiver sees it: the notifier delivers at least once (the outbox
//! row left in `sending` is sent again after the restart) and every resend carries the same
//! idempotency key, so a receiver that keeps the keys it took counts one message. Webhook:
//! the `Idempotency-Key` header. LINE: `X-Line-Retry-Key`, which the Messaging API itself
//! deduplicates (409 for a key already accepted, which the notifier counts as delivered).

mod support;

#[path = "support/http_sink.rs"]
mod http_sink;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use http_sink::{DuplicateAnswer, HttpSink};

const BINARY: &str = env!("CARGO_BIN_EXE_detectviz");

fn write_config(directory: &Path, port: u16, channel: &str) -> PathBuf {
    let data = directory.join("data");
    let text = format!(
        r#"[server]
listen = "127.0.0.1:{port}"

[store]
url = "sqlite://{database}"

[bus]
embedded_path = "{bus}"

[notifier]
tick_ms = 50
send_timeout_ms = 120000
[notifier.route]
receiver = "oncall"
group_by = ["alertname"]
group_wait_s = 0
[[notifier.receivers]]
name = "oncall"
channels = ["ops"]
[[notifier.channels]]
{channel}
"#,
        database = data.join("detectviz.db").display(),
        bus = data.join("bus.db").display(),
    );
    let path = directory.join("detectviz.conf");
    std::fs::write(&path, text).unwrap();
    path
}

fn detectviz(config: &Path, arguments: &[&str]) -> String {
    let output = Command::new(BINARY)
        .arg("--config")
        .arg(config)
        .args(arguments)
        .output()
        .expect("the binary runs");
    assert!(
        output.status.success(),
        "detectviz {arguments:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn start_server(config: &Path, port: u16) -> Child {
    let child = Command::new(BINARY)
        .arg("--config")
        .arg(config)
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve starts");
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "serve did not listen on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

/// POSTs a JSON body with an API token over std; returns the status code.
fn post_json(port: u16, path: &str, token: &str, body: &str) -> u16 {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Token {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response
        .split_whitespace()
        .nth(1)
        .and_then(|status| status.parse().ok())
        .unwrap_or(0)
}

const ALERT: &str = r#"[{"labels":{"alertname":"PumpDown","site":"plant-a","severity":"critical"},"annotations":{"summary":"Pump 7 stopped"}}]"#;

/// Runs the kill-and-restart scenario against `sink` and returns the store's record.
async fn kill_during_delivery_then_restart(
    sink: &HttpSink,
    channel: &str,
    key_header: &str,
) -> store::NotificationRecord {
    let directory = tempfile::tempdir().unwrap();
    let port = support::spare_port();
    let config = write_config(directory.path(), port, channel);
    detectviz(&config, &["migrate"]);
    let token = detectviz(
        &config,
        &[
            "token",
            "create",
            "--name",
            "crash-test",
            "--scope",
            "write",
        ],
    );
    let token = token.trim();

    let mut first = start_server(&config, port);
    assert_eq!(post_json(port, "/api/v2/alerts", token, ALERT), 200);
    let held = sink.wait_for_requests(1, Duration::from_secs(30));
    // The receiver has the message; its answer never comes: kill the sender now.
    first.kill().unwrap();
    first.wait().unwrap();

    let port = support::spare_port();
    let config = write_config(directory.path(), port, channel);
    let mut second = start_server(&config, port);
    let requests = sink.wait_for_requests(2, Duration::from_secs(30));
    // A few more delivery rounds: nothing else may be sent.
    std::thread::sleep(Duration::from_millis(1500));
    second.kill().unwrap();
    second.wait().unwrap();

    let requests_after = sink.requests();
    assert_eq!(
        requests_after.len(),
        2,
        "one resend only: {requests_after:?}"
    );
    let first_key = held[0].header(key_header).expect("the key header is sent");
    assert_eq!(requests[1].header(key_header), Some(first_key));
    assert_eq!(
        requests[1].body, held[0].body,
        "the resend is the same message"
    );
    assert_eq!(sink.inbox().len(), 1, "exactly one message at the receiver");

    let url = format!(
        "sqlite://{}",
        directory.path().join("data/detectviz.db").display()
    );
    let store = store::Store::connect(&url).await.unwrap();
    let records = store.notifications().list_recent(10).await.unwrap();
    assert_eq!(records.len(), 1, "one outbox row: {records:?}");
    records.into_iter().next().unwrap()
}

#[tokio::test]
async fn a_webhook_delivery_killed_midway_reaches_the_receiver_once_after_restart() {
    let sink = HttpSink::start("idempotency-key", DuplicateAnswer::Ok, true);
    let channel = format!(
        "type = \"webhook\"\nname = \"ops\"\nurl = \"{}\"",
        sink.url("/hook")
    );
    let record = kill_during_delivery_then_restart(&sink, &channel, "idempotency-key").await;
    assert_eq!(record.status, store::DeliveryStatus::Sent);
    assert_eq!(record.attempts, 2, "the killed attempt and the resend");
}

#[tokio::test]
async fn a_line_push_killed_midway_is_deduplicated_by_its_retry_key_after_restart() {
    let sink = HttpSink::start("x-line-retry-key", DuplicateAnswer::Conflict, true);
    let channel = format!(
        "type = \"line\"\nname = \"ops\"\nto = \"Cdeadbeef\"\nchannel_access_token = \"line-token\"\napi_base = \"{}\"",
        sink.url("")
    );
    let record = kill_during_delivery_then_restart(&sink, &channel, "x-line-retry-key").await;
    assert_eq!(
        record.status,
        store::DeliveryStatus::Sent,
        "409 for an accepted retry key counts as delivered"
    );
    assert_eq!(record.attempts, 2);
}
