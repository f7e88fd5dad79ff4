//! Test peers: the real `services/llm` started from the worktree's `.venv` on a spare port, a
//! local HTTP server speaking Ollama's `/api/chat` wire format, and store seeding.

#![allow(dead_code)]

pub mod seed;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::routing::{get, post};
use serde_json::{Value, json};

pub fn repository_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn spare_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a spare port");
    listener.local_addr().expect("local address").port()
}

/// `services/llm` as a child process (`python -m detectviz_llm`), killed on drop.
pub struct LlmService {
    child: Child,
    pub url: String,
}

impl LlmService {
    /// Starts the service with `ollama_url` as its only backend and waits for `/healthz`.
    pub async fn start(ollama_url: &str) -> LlmService {
        let python = repository_root().join(".venv/bin/python");
        assert!(
            python.exists(),
            "{} is missing: run scripts/install-test-deps.sh first",
            python.display()
        );
        let port = spare_port();
        let child = Command::new(&python)
            .args(["-m", "detectviz_llm"])
            .current_dir(repository_root().join("services/llm"))
            .env("DETECTVIZ_LLM_LISTEN", format!("127.0.0.1:{port}"))
            .env("DETECTVIZ_LLM_OLLAMA_URL", ollama_url)
            .env("DETECTVIZ_LLM_BACKENDS", "ollama")
            .env("DETECTVIZ_LLM_RETRIES", "0")
            .env("DETECTVIZ_LLM_TIMEOUT_SECONDS", "5")
            .env("DETECTVIZ_LLM_LOG_LEVEL", "WARNING")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start python -m detectviz_llm");
        let service = LlmService {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let health = client.get(format!("{}/healthz", service.url)).send().await;
            if health.is_ok_and(|answer| answer.status().is_success()) {
                return service;
            }
            assert!(
                Instant::now() < deadline,
                "services/llm did not answer /healthz in 60 s"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

impl Drop for LlmService {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A local server speaking Ollama's API (`POST /api/chat` non-streaming, `GET /api/tags`),
/// recording every chat request body.
pub struct FakeOllama {
    pub url: String,
    pub chats: Arc<Mutex<Vec<Value>>>,
    task: tokio::task::JoinHandle<()>,
}

pub const OLLAMA_REPLY: &str = "本日共 3 次嚴重告警，鍋爐過熱最頻繁，建議檢查冷卻水路。";

impl FakeOllama {
    pub async fn start() -> FakeOllama {
        let chats: Arc<Mutex<Vec<Value>>> = Arc::default();
        let recorded = chats.clone();
        let app = axum::Router::new()
            .route(
                "/api/tags",
                get(|| async { Json(json!({"models": [{"name": "qwen2.5:7b-instruct"}]})) }),
            )
            .route(
                "/api/chat",
                post(move |Json(body): Json<Value>| {
                    let recorded = recorded.clone();
                    async move {
                        let model = body["model"].clone();
                        recorded.lock().unwrap().push(body);
                        Json(json!({
                            "model": model, "created_at": "2026-11-25T00:00:00Z",
                            "message": {"role": "assistant", "content": OLLAMA_REPLY},
                            "done": true, "done_reason": "stop"
                        }))
                    }
                }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        FakeOllama { url, chats, task }
    }
}

impl Drop for FakeOllama {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A URL where nothing listens.
pub fn closed_url() -> String {
    format!("http://127.0.0.1:{}", spare_port())
}
