//! The llm action against the real llm service (`services/llm`, started from the repository's
//! `.venv` with no model backend, so its deterministic fallback answers, marked
//! `"backend": "fallback"`), with a local HTTP server as the recent-values source and a log
//! file.

use std::process::Stdio;
use std::time::{Duration, Instant};

use super::*;
use crate::action::ActionConfig;
use crate::action::conformance::{assert_action_conforms, sample_request};

/// `python -m detectviz_llm` on a spare port; killed when dropped.
struct LlmService {
    url: String,
    _child: tokio::process::Child,
}

impl LlmService {
    async fn start() -> LlmService {
        let repository = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let python = repository.join(".venv/bin/python");
        assert!(
            python.exists(),
            "{} is missing: run scripts/install-test-deps.sh",
            python.display()
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
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
                break;
            }
            assert!(Instant::now() < deadline, "the llm service did not start");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        LlmService { url, _child: child }
    }
}

/// Serves fixed recent values at `/values?...`, remembering the query it got.
async fn start_values_source() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    let queries: std::sync::Arc<std::sync::Mutex<Vec<String>>> = Default::default();
    let kept = queries.clone();
    let app = axum::Router::new().route(
        "/values",
        axum::routing::get(move |uri: axum::http::Uri| {
            let kept = kept.clone();
            async move {
                kept.lock().unwrap().push(uri.query().unwrap_or_default().to_string());
                "spindle temperature 88.1 89.7 91.2 92.5 celsius, rising since the coolant pump tripped"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{address}"), queries)
}

fn config(text: &str) -> LlmConfig {
    toml::from_str(text).unwrap()
}

#[tokio::test]
async fn the_sample_builds_and_the_action_conforms_against_the_real_service() {
    let sample: ActionConfig = toml::from_str(SAMPLE_CONFIG).unwrap();
    sample.build().expect("the sample builds");
    let service = LlmService::start().await;
    let working = ActionConfig::Llm(config(&format!(
        "name = \"analyse\"\nurl = \"{}\"\nlanguage = \"en\"\n",
        service.url
    )));
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let broken = ActionConfig::Llm(config(&format!(
        "name = \"analyse\"\nurl = \"http://127.0.0.1:{closed_port}\"\n"
    )));
    assert_action_conforms(&working, &broken, true, &[]).await;
}

#[tokio::test]
async fn the_alert_its_values_and_logs_reach_the_service_and_the_answer_is_kept() {
    let service = LlmService::start().await;
    let (values_url, queries) = start_values_source().await;
    let directory = tempfile::tempdir().unwrap();
    let log = directory.path().join("controller.log");
    let mut log_text: String = (0..200)
        .map(|line| format!("2026-11-25T03:{:02}:00 INFO heartbeat {line}\n", line % 60))
        .collect();
    log_text.push_str("2026-11-25T04:02:00 ERROR coolant pump P7 overcurrent trip on line-3\n");
    std::fs::write(&log, log_text).unwrap();
    let llm = Llm::new(&config(&format!(
        "name = \"analyse\"\nurl = \"{}\"\nlanguage = \"en\"\nrecent_values_url = \"{values_url}/values?line={{{{labels.line}}}}&q=a b\"\nlog_files = [\"{}\", \"{}\"]\nlog_lines = 5\n",
        service.url,
        log.display(),
        directory.path().join("missing.log").display()
    )))
    .unwrap();

    let text = llm.analysis_text(&sample_request(&[])).await.unwrap();
    assert!(text.contains("SpindleTemperatureHigh"), "{text}");
    assert!(text.contains("value 92.5"), "{text}");
    assert!(
        text.contains("rising since the coolant pump tripped"),
        "{text}"
    );
    assert!(text.contains("P7 overcurrent trip"), "{text}");
    assert!(
        !text.contains("heartbeat 0\n"),
        "only the last lines: {text}"
    );
    assert!(text.contains("missing.log ==\n(cannot read"), "{text}");
    assert_eq!(*queries.lock().unwrap(), ["line=line-3&q=a%20b"]);

    let output = llm.execute(&sample_request(&[])).await.unwrap();
    let answer: serde_json::Value =
        serde_json::from_str(output.answer.as_deref().unwrap()).unwrap();
    assert_eq!(answer["backend"], "fallback");
    assert_eq!(output.provider_id.as_deref(), Some("fallback"));
    assert_eq!(answer["language"], "en");
    assert!(
        ["info", "warning", "critical"].contains(&answer["severity"].as_str().unwrap()),
        "{answer}"
    );
    let summary = answer["summary"].as_str().unwrap();
    assert!(!summary.is_empty());
    assert!(output.stdout.starts_with(summary), "{}", output.stdout);
}

#[test]
fn bad_configurations_are_refused_with_the_key_named() {
    let error = Llm::new(&config("name = \"a\"\nlanguage = \"fr\"\n")).unwrap_err();
    assert!(error.to_string().contains("language \"fr\""), "{error}");
    let error = Llm::new(&config("name = \"a\"\nurl = \"ftp://x\"\n")).unwrap_err();
    assert!(error.to_string().contains("http or https"), "{error}");
    let error = Llm::new(&config(
        "name = \"a\"\nrecent_values_url = \"http://x/{{nope}}\"\n",
    ))
    .unwrap_err();
    assert!(error.to_string().contains("recent_values_url"), "{error}");
    assert_eq!(last_lines(b"a\nb\nc\n", 2, 100), "b\nc");
    assert_eq!(last_lines("éééé".as_bytes(), 5, 3), "[…]é");
}
