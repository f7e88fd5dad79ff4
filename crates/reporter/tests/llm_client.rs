//! The reporter's llm client against the real `services/llm` (fallback with no backend, and
//! Ollama's wire format through a local fake Ollama), plus its errors.

mod support;

use std::time::Duration;

use reporter::{Language, LlmClient, ReporterError};
use support::{FakeOllama, LlmService, OLLAMA_REPLY, closed_url};

const ALERTS: &str = "鍋爐過熱 BoilerHot 觸發 3 次（嚴重）。冷卻水泵 PumpStopped 觸發 1 次（警告）。\
    平均確認時間 4 分鐘，平均修復時間 30 分鐘。";

#[tokio::test]
async fn summarize_and_analyze_answer_through_the_fallback_without_a_backend() -> anyhow::Result<()>
{
    let service = LlmService::start(&closed_url()).await;
    let client = LlmClient::new(&service.url, Duration::from_secs(30))?;

    let summary = client.summarize(ALERTS, Language::ZhTw, 2).await?;
    assert_eq!(summary.answer.backend, "fallback");
    assert!(summary.answer.is_fallback());
    assert_eq!(summary.answer.model, None);
    assert!(summary.summary.contains("鍋爐過熱"), "{}", summary.summary);

    let analysis = client.analyze(ALERTS, Language::ZhTw).await?;
    assert_eq!(analysis.answer.backend, "fallback");
    assert!(["info", "warning", "critical"].contains(&analysis.severity.as_str()));
    assert!(!analysis.summary.is_empty());
    Ok(())
}

#[tokio::test]
async fn summarize_goes_through_ollamas_chat_api_when_it_answers() -> anyhow::Result<()> {
    let ollama = FakeOllama::start().await;
    let service = LlmService::start(&ollama.url).await;
    let client = LlmClient::new(&service.url, Duration::from_secs(30))?;

    let summary = client.summarize(ALERTS, Language::ZhTw, 3).await?;
    assert_eq!(summary.answer.backend, "ollama");
    assert!(!summary.answer.is_fallback());
    assert_eq!(summary.answer.model.as_deref(), Some("qwen2.5:7b-instruct"));
    assert_eq!(summary.summary, OLLAMA_REPLY);

    let chats = ollama.chats.lock().unwrap().clone();
    assert_eq!(chats.len(), 1, "one /api/chat request: {chats:?}");
    assert_eq!(chats[0]["stream"], false);
    let prompt = chats[0]["messages"][0]["content"]
        .as_str()
        .unwrap_or_default();
    assert!(
        prompt.contains("BoilerHot"),
        "the alert text is in the prompt: {prompt}"
    );
    Ok(())
}

#[tokio::test]
async fn an_unreachable_service_is_a_clear_error_naming_the_url() -> anyhow::Result<()> {
    let url = closed_url();
    let client = LlmClient::new(&url, Duration::from_secs(5))?;
    let error = client
        .summarize("x", Language::En, 1)
        .await
        .expect_err("nothing listens");
    let ReporterError::Llm { url: named, reason } = &error else {
        panic!("expected an llm error, got {error:?}");
    };
    assert_eq!(named, &format!("{url}/v1/summarize"));
    assert!(reason.starts_with("cannot connect"), "{reason}");
    Ok(())
}

#[tokio::test]
async fn a_slow_service_times_out_and_an_error_status_is_reported() -> anyhow::Result<()> {
    let app = axum::Router::new()
        .route(
            "/v1/summarize",
            axum::routing::post(|| async {
                tokio::time::sleep(Duration::from_secs(10)).await;
                "late"
            }),
        )
        .route(
            "/v1/analyze",
            axum::routing::post(|| async {
                (
                    axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                    "text: field required",
                )
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let client = LlmClient::new(&url, Duration::from_millis(300))?;

    let slow = client
        .summarize("x", Language::En, 1)
        .await
        .expect_err("times out");
    assert!(
        slow.to_string().ends_with("/v1/summarize: timed out"),
        "{slow}"
    );
    let refused = client.analyze("x", Language::En).await.expect_err("422");
    assert!(
        refused
            .to_string()
            .contains("answered 422 Unprocessable Entity: text: field required"),
        "{refused}"
    );
    assert!(LlmClient::new("127.0.0.1:8091", Duration::from_secs(1)).is_err());
    server.abort();
    Ok(())
}
