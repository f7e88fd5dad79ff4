//! The automation rules API over real HTTP: viewers read every rule (config rules read-only,
//! secrets masked), admins create, replace and delete stored rules (audited), wrong rules are
//! refused with 422 naming the field; a rule created through the API runs for an alert that
//! came in through HTTP ingest, and an llm run's answer (the real services/llm) shows on the
//! alert's detail.

mod support;

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

struct Api {
    base: String,
    client: reqwest::Client,
    state: viot_web::AppState,
}

struct Caller {
    cookie: String,
    csrf: String,
}

impl Api {
    async fn start(directory: &Path, config_text: &str) -> Api {
        let config =
            viot_web::config::load_config_text("automation.conf", config_text, &[]).unwrap();
        let state = support::test_state(directory, config).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let app = viot_web::app(state.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Api {
            base: format!("http://{address}"),
            client: reqwest::Client::new(),
            state,
        }
    }

    async fn caller(&self, name: &str, role: &str) -> Caller {
        let (cookie, csrf) = support::session_for(&self.state.store, name, role).await;
        Caller { cookie, csrf }
    }

    async fn call(
        &self,
        caller: &Caller,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header("cookie", &caller.cookie)
            .header("x-csrf-token", &caller.csrf);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

fn write_script(directory: &Path, name: &str, body: &str) {
    let path = directory.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
}

fn webhook_rule(id: &str) -> Value {
    json!({
        "id": id,
        "name": "Open a work order",
        "trigger": {"matchers": [{"name": "alertname", "op": "=", "value": "PumpPressureHigh"}],
                    "when": "value > 8.0"},
        "action": {"type": "webhook", "name": "mes", "url": "http://127.0.0.1:9/orders",
                   "headers": {"Authorization": "Bearer s3cret-token"}},
        "parameters": {"device": "{{labels.device}}"},
    })
}

#[tokio::test]
async fn rules_are_stored_checked_audited_and_config_rules_stay_read_only() {
    let directory = tempfile::tempdir().unwrap();
    let scripts = directory.path().join("scripts");
    std::fs::create_dir(&scripts).unwrap();
    let config_text = format!(
        r#"
[automation]
enabled = true
[automation.executor]
stored_rules_scripts_dir = "{scripts}"
[[automation.rules]]
id = "from-config"
name = "A rule of the config file"
trigger = {{ min_severity = "critical" }}
action = {{ type = "webhook", name = "config-hook", url = "http://127.0.0.1:9/config?token=hidden" }}
"#,
        scripts = scripts.display()
    );
    let api = Api::start(directory.path(), &config_text).await;
    let admin = api.caller("ada", "admin").await;
    let operator = api.caller("olga", "operator").await;
    let viewer = api.caller("vera", "viewer").await;
    use reqwest::Method;

    let (status, listed) = api
        .call(&viewer, Method::GET, "/api/automation/rules", None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["source"], "config");
    assert_eq!(listed[0]["read_only"], true);
    assert_eq!(listed[0]["rule"]["action"]["url"], "***");

    let path = "/api/automation/rules";
    let (status, _) = api
        .call(&operator, Method::POST, path, Some(webhook_rule("mes")))
        .await;
    assert_eq!(status, 403, "operators do not write rules");
    let (status, created) = api
        .call(&admin, Method::POST, path, Some(webhook_rule("mes")))
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["source"], "api");
    assert_eq!(created["updated_by"], "ada");
    assert_eq!(created["rule"]["action"]["headers"]["Authorization"], "***");
    let (status, _) = api
        .call(&admin, Method::POST, path, Some(webhook_rule("mes")))
        .await;
    assert_eq!(status, 409, "the id is taken");
    let (status, refused) = api
        .call(
            &admin,
            Method::POST,
            path,
            Some(webhook_rule("from-config")),
        )
        .await;
    assert_eq!(status, 409, "{refused}");

    let cases: [(&str, Value, &str); 5] = [
        ("/trigger/matchers/0/op", json!("~~"), "trigger.matchers[0]"),
        ("/action/type", json!("ansible"), "action"),
        ("/trigger/when", json!("value >"), "trigger.when"),
        (
            "/parameters/device",
            json!("{{labels.device"),
            "parameters.device",
        ),
        ("/action/url", json!("http://x/{{nope}}"), "action.url"),
    ];
    for (pointer, value, field) in cases {
        let mut wrong = webhook_rule("wrong");
        *wrong.pointer_mut(pointer).unwrap() = value;
        let (status, error) = api.call(&admin, Method::POST, path, Some(wrong)).await;
        assert_eq!(status, 422, "{pointer}: {error}");
        assert_eq!(error["error"]["code"], "invalid_rule");
        let named = error["error"]["field"].as_str().unwrap();
        assert!(named.starts_with(field), "{pointer}: {error}");
    }
    let outside = json!({
        "id": "escape", "name": "Escape", "trigger": {},
        "action": {"type": "shell", "name": "sh", "scripts_dir": "/bin", "script": "sh"},
    });
    let (status, error) = api.call(&admin, Method::POST, path, Some(outside)).await;
    assert_eq!(status, 422, "{error}");
    assert_eq!(error["error"]["field"], "action.scripts_dir");

    // An edit sent back with the masked secret keeps the stored one.
    let (_, shown) = api
        .call(&viewer, Method::GET, "/api/automation/rules/mes", None)
        .await;
    let mut edited = shown["rule"].clone();
    edited["name"] = json!("Open a work order, renamed");
    let (status, replaced) = api
        .call(
            &admin,
            Method::PUT,
            "/api/automation/rules/mes",
            Some(edited.clone()),
        )
        .await;
    assert_eq!(status, 200, "{replaced}");
    assert_eq!(replaced["rule"]["name"], "Open a work order, renamed");
    let stored = api
        .state
        .store
        .automation_rules()
        .get("mes")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.definition["action"]["headers"]["Authorization"],
        "Bearer s3cret-token"
    );
    let (status, _) = api
        .call(
            &admin,
            Method::PUT,
            "/api/automation/rules/other",
            Some(edited.clone()),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = api
        .call(
            &admin,
            Method::PUT,
            "/api/automation/rules/from-config",
            Some(edited),
        )
        .await;
    assert_eq!(status, 409, "config rules are read-only");
    let (status, _) = api
        .call(
            &admin,
            Method::DELETE,
            "/api/automation/rules/from-config",
            None,
        )
        .await;
    assert_eq!(status, 409);

    let (_, listed) = api
        .call(&viewer, Method::GET, "/api/automation/rules", None)
        .await;
    let sources: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|view| view["source"].as_str().unwrap())
        .collect();
    assert_eq!(sources, ["config", "api"]);
    let (status, _) = api
        .call(&admin, Method::DELETE, "/api/automation/rules/mes", None)
        .await;
    assert_eq!(status, 204);
    let (status, _) = api
        .call(&viewer, Method::GET, "/api/automation/rules/mes", None)
        .await;
    assert_eq!(status, 404);

    let audit = api
        .state
        .store
        .audit_log()
        .query(&store::AuditQuery {
            actor: Some("ada".to_string()),
            ..Default::default()
        })
        .await
        .unwrap();
    let actions: Vec<(String, String)> = audit
        .iter()
        .map(|entry| (entry.action.clone(), entry.result.clone()))
        .collect();
    let created = audit
        .iter()
        .find(|entry| entry.action == "POST /api/automation/rules" && entry.result == "201")
        .expect("the create is audited");
    assert_eq!(created.detail["rule_id"], "mes", "{:?}", created.detail);
    for expected in [
        ("POST /api/automation/rules", "201"),
        ("PUT /api/automation/rules/{id}", "200"),
        ("DELETE /api/automation/rules/{id}", "204"),
        ("POST /api/automation/rules", "422"),
    ] {
        assert!(
            actions.contains(&(expected.0.to_string(), expected.1.to_string())),
            "{expected:?} in {actions:?}"
        );
    }
}

fn alert_rules_file(directory: &Path) -> String {
    let rules = directory.join("rules.toml");
    std::fs::write(
        &rules,
        "[[rules]]\nid = \"pump-pressure\"\nname = \"PumpPressureHigh\"\nselector = { measurement = \"modbus\", field = \"pressure_bar\" }\n[[rules.levels]]\nseverity = \"critical\"\ncondition = { op = \">\", value = 8 }\n",
    )
    .unwrap();
    rules.display().to_string()
}

async fn write_line(api: &Api, line: &str) {
    let token = support::token_for(&api.state.store, &format!("telegraf-{line}"), &["write"]).await;
    let response = api
        .client
        .post(format!("{}/api/v2/write", api.base))
        .header("authorization", format!("Token {token}"))
        .body(line.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 204);
}

#[tokio::test]
async fn a_rule_created_through_the_api_runs_for_an_alert_from_http_ingest() {
    let directory = tempfile::tempdir().unwrap();
    let scripts = directory.path().join("scripts");
    std::fs::create_dir(&scripts).unwrap();
    write_script(
        &scripts,
        "repair.sh",
        "echo \"repairing $DV_ALERT_LABEL_DEVICE at $1\"",
    );
    let config_text = format!(
        "[alert]\nrules_files = [\"{rules}\"]\n\n[automation]\nenabled = true\n[automation.executor]\nstored_rules_scripts_dir = \"{scripts}\"\n",
        rules = alert_rules_file(directory.path()),
        scripts = scripts.display()
    );
    let api = Api::start(directory.path(), &config_text).await;
    let admin = api.caller("ada", "admin").await;
    let mut rule = json!({
        "id": "repair-pump",
        "name": "Repair the pump",
        "trigger": {"matchers": [{"name": "alertname", "op": "=", "value": "PumpPressureHigh"}],
                    "min_severity": "warning", "when": "value > 9.0"},
        "action": {"type": "shell", "name": "repair", "scripts_dir": scripts,
                   "script": "repair.sh", "args": ["{{severity}}"]},
    });
    let (status, created) = api
        .call(
            &admin,
            reqwest::Method::POST,
            "/api/automation/rules",
            Some(rule.clone()),
        )
        .await;
    assert_eq!(status, 201, "{created}");

    write_line(&api, "modbus,device=pump-7 pressure_bar=9.4\n").await;
    let runs = finished_runs(&api, &admin, 1).await;
    assert_eq!(runs[0]["status"], "succeeded", "{runs:?}");
    assert_eq!(runs[0]["trigger_kind"], "alert");
    assert_eq!(runs[0]["stdout"], "repairing pump-7 at critical\n");

    // A change through the API applies to the next alert, without a restart.
    write_script(
        &scripts,
        "replaced.sh",
        "echo \"replaced for $DV_ALERT_LABEL_DEVICE\"",
    );
    rule["action"]["script"] = json!("replaced.sh");
    let path = "/api/automation/rules/repair-pump";
    let (status, _) = api
        .call(&admin, reqwest::Method::PUT, path, Some(rule))
        .await;
    assert_eq!(status, 200);
    write_line(&api, "modbus,device=pump-7 pressure_bar=2.0\n").await;
    write_line(&api, "modbus,device=pump-7 pressure_bar=9.6\n").await;
    let runs = finished_runs(&api, &admin, 2).await;
    assert_eq!(runs[0]["stdout"], "replaced for pump-7\n", "{runs:?}");
}

/// Waits until the stored rule has `count` finished runs; returns them, newest first.
async fn finished_runs(api: &Api, caller: &Caller, count: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let path = "/api/tasks/runs?rule_id=repair-pump";
        let (_, runs) = api.call(caller, reqwest::Method::GET, path, None).await;
        let finished: Vec<Value> = runs
            .as_array()
            .unwrap()
            .iter()
            .filter(|run| run["status"] != "started")
            .cloned()
            .collect();
        if finished.len() >= count {
            return finished;
        }
        assert!(Instant::now() < deadline, "runs of the stored rule: {runs}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `python -m detectviz_llm` (the real service, its deterministic fallback answering) on a
/// spare port; killed when dropped.
struct LlmService {
    url: String,
    _child: tokio::process::Child,
}

impl LlmService {
    async fn start() -> LlmService {
        let repository = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let python = repository.join(".venv/bin/python");
        assert!(python.exists(), "{} is missing", python.display());
        let port = support::spare_port();
        let child = tokio::process::Command::new(python)
            .args(["-m", "detectviz_llm"])
            .current_dir(&repository)
            .env("DETECTVIZ_LLM_LISTEN", format!("127.0.0.1:{port}"))
            .env("DETECTVIZ_LLM_OLLAMA_URL", "")
            .env_remove("DETECTVIZ_LLM_OPENAI_URL")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("the llm service starts");
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let healthy = reqwest::get(format!("{url}/healthz"))
                .await
                .is_ok_and(|response| response.status().is_success());
            if healthy {
                return LlmService { url, _child: child };
            }
            assert!(Instant::now() < deadline, "the llm service did not start");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

#[tokio::test]
async fn an_llm_answer_shows_on_the_alert_detail() {
    let directory = tempfile::tempdir().unwrap();
    let llm = LlmService::start().await;
    let config_text = format!(
        r#"
[alert]
rules_files = ["{rules}"]

[automation]
enabled = true
[[automation.rules]]
id = "explain"
name = "Explain the pump alert"
trigger = {{ matchers = [{{ name = "alertname", op = "=", value = "PumpPressureHigh" }}] }}
action = {{ type = "llm", name = "explain", url = "{url}", language = "en" }}
"#,
        rules = alert_rules_file(directory.path()),
        url = llm.url
    );
    let api = Api::start(directory.path(), &config_text).await;
    let viewer = api.caller("vera", "viewer").await;
    write_line(&api, "modbus,device=pump-7 pressure_bar=9.4\n").await;

    let deadline = Instant::now() + Duration::from_secs(30);
    let detail = loop {
        let (_, alerts) = api
            .call(&viewer, reqwest::Method::GET, "/api/alerts", None)
            .await;
        if let Some(fingerprint) = alerts[0]["fingerprint"].as_str() {
            let (status, detail) = api
                .call(
                    &viewer,
                    reqwest::Method::GET,
                    &format!("/api/alerts/{fingerprint}"),
                    None,
                )
                .await;
            assert_eq!(status, 200);
            if !detail["analyses"].as_array().unwrap().is_empty() {
                break detail;
            }
        }
        assert!(Instant::now() < deadline, "no llm answer on the alert");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let analysis = &detail["analyses"][0];
    assert_eq!(analysis["rule_id"], "explain");
    assert_eq!(analysis["answer"]["backend"], "fallback");
    let summary = analysis["answer"]["summary"].as_str().unwrap();
    assert!(!summary.is_empty());
    let (_, run) = api
        .call(
            &viewer,
            reqwest::Method::GET,
            &format!("/api/tasks/runs/{}", analysis["run_id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(
        run["answer"]["summary"], summary,
        "the same answer on the run"
    );
}
