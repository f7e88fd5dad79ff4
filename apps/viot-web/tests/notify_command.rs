//! `detectviz notify test --channel NAME` through the binary, against local HTTP peers: the
//! sample alert reaches the peer in the channel's format, the outcome is printed, and a
//! failure exits 1 with the channel's error and no secret.

mod support;

#[path = "support/http_sink.rs"]
mod http_sink;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use http_sink::{DuplicateAnswer, HttpSink};

const BINARY: &str = env!("CARGO_BIN_EXE_detectviz");

fn write_config(directory: &Path, channels: &str) -> PathBuf {
    let text = format!(
        "[store]\nurl = \"sqlite://{}\"\n\n[notifier]\n[notifier.route]\nreceiver = \"oncall\"\n\
         [[notifier.receivers]]\nname = \"oncall\"\nchannels = [\"ops\"]\n{channels}",
        directory.join("detectviz.db").display()
    );
    let path = directory.join("detectviz.conf");
    std::fs::write(&path, text).unwrap();
    path
}

fn notify_test(config: &Path, channel: &str) -> Output {
    Command::new(BINARY)
        .arg("--config")
        .arg(config)
        .args(["notify", "test", "--channel", channel])
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_sample_alert_goes_through_a_webhook_and_a_line_channel() {
    let directory = tempfile::tempdir().unwrap();
    let hook = HttpSink::start("idempotency-key", DuplicateAnswer::Ok, false);
    let line = HttpSink::start("x-line-retry-key", DuplicateAnswer::Conflict, false);
    let channels = format!(
        "[[notifier.channels]]\ntype = \"webhook\"\nname = \"ops\"\nurl = \"{}\"\n\
         [[notifier.channels]]\ntype = \"line\"\nname = \"plant-line\"\nto = \"Cdeadbeef\"\n\
         channel_access_token = \"line-token\"\napi_base = \"{}\"\nlanguage = \"en\"\n",
        hook.url("/hook"),
        line.url("")
    );
    let config = write_config(directory.path(), &channels);

    let output = notify_test(&config, "ops");
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).contains("sent a sample firing notification through channel `ops`"),
        "{}",
        text(&output.stdout)
    );
    let requests = hook.requests();
    assert_eq!(requests.len(), 1);
    let body: serde_json::Value = serde_json::from_str(&requests[0].body).unwrap();
    assert_eq!(body["version"], "4");
    assert_eq!(body["commonLabels"]["alertname"], "SpindleTemperatureHigh");
    assert_eq!(body["alerts"].as_array().unwrap().len(), 2);

    let output = notify_test(&config, "plant-line");
    assert!(output.status.success(), "{}", text(&output.stderr));
    let requests = line.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].path, "/v2/bot/message/push");
    assert_eq!(
        requests[0].header("authorization"),
        Some("Bearer line-token")
    );
    let key = requests[0].header("x-line-retry-key").unwrap();
    assert!(
        text(&output.stdout).contains(&format!("provider message id: msg-{key}")),
        "{}",
        text(&output.stdout)
    );
}

#[test]
fn a_failed_send_or_an_unknown_channel_exits_1_with_a_clear_message() {
    let directory = tempfile::tempdir().unwrap();
    let closed_port = support::spare_port();
    let channels = format!(
        "[[notifier.channels]]\ntype = \"webhook\"\nname = \"ops\"\n\
         url = \"http://127.0.0.1:{closed_port}/hooks/secret-path-token\"\n"
    );
    let config = write_config(directory.path(), &channels);

    let output = notify_test(&config, "ops");
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("channel `ops`: cannot reach"), "{stderr}");
    assert!(stderr.contains("retryable"), "{stderr}");
    assert!(!stderr.contains("secret-path-token"), "{stderr}");

    let output = notify_test(&config, "pager");
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("no channel `pager`") && stderr.contains("configured: ops"),
        "{stderr}"
    );
}
