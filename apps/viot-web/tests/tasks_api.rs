//! The task runner over real HTTP: list actions, run one by hand with parameters (operator,
//! audited), stream its output as server-sent events, cancel it (the script's whole process
//! group dies), and read the history.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

struct Api {
    base: String,
    client: reqwest::Client,
    cookie: String,
    csrf: String,
    state: viot_web::AppState,
}

impl Api {
    async fn start(directory: &Path) -> Api {
        let scripts = directory.join("scripts");
        std::fs::create_dir(&scripts).unwrap();
        write_script(
            &scripts,
            "report.sh",
            "echo \"step 1 on $DV_PARAM_LINE\"\nsleep 0.3\nprintf '%s\\n' \"$1\"\necho warning >&2",
        );
        write_script(
            &scripts,
            "hang.sh",
            &format!(
                "sleep 300 &\necho \"$$ $!\" > {}\necho waiting\nwait",
                directory.join("pids").display()
            ),
        );
        let config_text = format!(
            r#"
[automation]
enabled = true
[[automation.rules]]
id = "report"
name = "Report a line"
parameters = {{ line = "{{{{labels.line}}}}" }}
trigger = {{ matchers = [{{ name = "alertname", op = "=", value = "Never" }}] }}
action = {{ type = "shell", name = "report", scripts_dir = "{scripts}", script = "report.sh", args = ["{{{{parameters.line}}}}"] }}

[[automation.rules]]
id = "hang"
name = "Wait forever"
trigger = {{ matchers = [{{ name = "alertname", op = "=", value = "Never" }}] }}
action = {{ type = "shell", name = "hang", scripts_dir = "{scripts}", script = "hang.sh" }}
timeout_s = 600
"#,
            scripts = scripts.display()
        );
        let config = viot_web::config::load_config_text("tasks.conf", &config_text, &[]).unwrap();
        let state = support::test_state(directory, config).await;
        let (cookie, csrf) = support::session_for(&state.store, "olga", "operator").await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let app = viot_web::app(state.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Api {
            base: format!("http://{address}"),
            client: reqwest::Client::new(),
            cookie,
            csrf,
            state,
        }
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .header("x-csrf-token", &self.csrf)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Reads the SSE stream to its `end` event; returns (content type, output, end status).
    async fn output(&self, run_id: &str) -> (String, String, String) {
        let response = self
            .client
            .get(format!("{}/api/tasks/runs/{run_id}/output", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap();
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_string();
        let mut response = response;
        let mut text = String::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        while !text.contains("event: end") {
            let chunk = tokio::time::timeout_at(deadline.into(), response.chunk())
                .await
                .expect("the stream ends in time")
                .unwrap()
                .expect("the stream is open");
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
        let mut output = String::new();
        let mut status = String::new();
        for block in text.split("\n\n") {
            let data: Vec<&str> = block
                .lines()
                .filter_map(|line| line.strip_prefix("data: ").or(line.strip_prefix("data:")))
                .collect();
            if block.contains("event: output") {
                output.push_str(&data.join("\n"));
                output.push('\n');
            } else if block.contains("event: end") {
                let end: Value = serde_json::from_str(&data.join("\n")).unwrap();
                status = end["status"].as_str().unwrap().to_string();
            }
        }
        (content_type, output, status)
    }
}

fn write_script(directory: &Path, name: &str, body: &str) {
    let path = directory.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
}

/// Whether the process exists and is not a zombie waiting to be reaped.
fn process_alive(pid: &str) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    let state = stat.rsplit_once(") ").map(|(_, rest)| rest.chars().next());
    state != Some(Some('Z'))
}

#[tokio::test]
async fn an_operator_runs_an_action_by_hand_and_watches_its_output_live() {
    let directory = tempfile::tempdir().unwrap();
    let api = Api::start(directory.path()).await;
    let (status, actions) = api.get("/api/tasks/actions").await;
    assert_eq!(status, 200);
    let report = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|action| action["rule_id"] == "report")
        .expect("listed");
    assert_eq!(report["kind"], "shell");
    assert_eq!(report["parameters"]["line"], "{{labels.line}}");

    let hostile = "line-3; touch /tmp/pwned-task $(id) `id` | cat ../../etc/passwd";
    let (status, started) = api
        .post(
            "/api/tasks/runs",
            json!({ "rule_id": "report", "parameters": { "line": hostile } }),
        )
        .await;
    assert_eq!(status, 202, "{started}");
    let run_id = started["run_id"].as_str().unwrap().to_string();
    assert_eq!(started["status"], "started");

    let (content_type, output, end) = api.output(&run_id).await;
    assert!(
        content_type.starts_with("text/event-stream"),
        "{content_type}"
    );
    assert_eq!(end, "succeeded");
    assert!(output.contains(&format!("step 1 on {hostile}")), "{output}");
    assert!(output.contains(&format!("{hostile}\n")), "{output}");
    assert!(!Path::new("/tmp/pwned-task").exists());

    let (status, run) = api.get(&format!("/api/tasks/runs/{run_id}")).await;
    assert_eq!(status, 200);
    assert_eq!(run["status"], "succeeded");
    assert_eq!(run["trigger_kind"], "manual");
    assert_eq!(run["requested_by"], "olga");
    assert_eq!(run["exit_code"], 0);
    assert_eq!(run["stderr"], "warning\n");
    assert_eq!(run["parameters"]["line"], hostile);
    // After the end the stream replays the stored output.
    let (_, replay, end) = api.output(&run_id).await;
    assert_eq!(end, "succeeded");
    assert!(replay.contains("step 1 on"), "{replay}");

    let audit = api
        .state
        .store
        .audit_log()
        .query(&store::AuditQuery {
            actor: Some("olga".to_string()),
            ..store::AuditQuery::default()
        })
        .await
        .unwrap();
    assert!(
        audit
            .iter()
            .any(|entry| entry.action.contains("/api/tasks/runs") && entry.result == "202"),
        "{audit:?}"
    );

    let (status, error) = api
        .post(
            "/api/tasks/runs",
            json!({ "rule_id": "report", "parameters": { "device": "x" } }),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        error.to_string().contains("no parameter `device`"),
        "{error}"
    );
    let (status, _) = api
        .post("/api/tasks/runs", json!({ "rule_id": "nope" }))
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn cancelling_a_run_kills_its_whole_process_group() {
    let directory = tempfile::tempdir().unwrap();
    let api = Api::start(directory.path()).await;
    let (status, started) = api
        .post("/api/tasks/runs", json!({ "rule_id": "hang" }))
        .await;
    assert_eq!(status, 202, "{started}");
    let run_id = started["run_id"].as_str().unwrap().to_string();
    let pids_file = directory.path().join("pids");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !pids_file.exists()
        || std::fs::read_to_string(&pids_file)
            .unwrap()
            .trim()
            .is_empty()
    {
        assert!(Instant::now() < deadline, "the script did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let pids: Vec<String> = std::fs::read_to_string(&pids_file)
        .unwrap()
        .split_whitespace()
        .map(str::to_string)
        .collect();
    assert_eq!(pids.len(), 2);
    assert!(pids.iter().all(|pid| process_alive(pid)));

    let watcher = {
        let run_id = run_id.clone();
        let api_base = api.base.clone();
        let cookie = api.cookie.clone();
        tokio::spawn(async move {
            let response = reqwest::Client::new()
                .get(format!("{api_base}/api/tasks/runs/{run_id}/output"))
                .header("cookie", cookie)
                .send()
                .await
                .unwrap();
            response.text().await.unwrap()
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (status, _) = api
        .post(&format!("/api/tasks/runs/{run_id}/cancel"), json!({}))
        .await;
    assert_eq!(status, 202);
    let streamed = tokio::time::timeout(Duration::from_secs(10), watcher)
        .await
        .expect("the stream ends after the cancel")
        .unwrap();
    assert!(streamed.contains("waiting"), "{streamed}");
    assert!(streamed.contains(r#"{"status":"cancelled"}"#), "{streamed}");
    let deadline = Instant::now() + Duration::from_secs(5);
    while pids.iter().any(|pid| process_alive(pid)) {
        assert!(
            Instant::now() < deadline,
            "processes of the cancelled run are still alive: {pids:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (_, run) = api.get(&format!("/api/tasks/runs/{run_id}")).await;
    assert_eq!(run["status"], "cancelled");
    let (status, _) = api
        .post(&format!("/api/tasks/runs/{run_id}/cancel"), json!({}))
        .await;
    assert_eq!(status, 409, "a finished run cannot be cancelled");
}
