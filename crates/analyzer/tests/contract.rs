//! Contract test against the REAL services/anomaly (uvicorn from the worktree's .venv on a
//! spare port): every endpoint through the typed client, the error kinds, the circuit
//! breaker while the service is down and after it returns, and `traceparent` propagation.

use std::time::Duration;

use analyzer::api::{ConfigUpdate, DetectRequest, Series, TrainRequest};
use analyzer::testing::AnomalyService;
use analyzer::{Analyzer, AnalyzerConfig, AnalyzerError, BreakerState, TraceContext};
use serde_json::json;

fn config(url: String) -> AnalyzerConfig {
    AnalyzerConfig {
        enabled: true,
        url,
        request_timeout_ms: 30_000,
        max_attempts: 2,
        backoff_initial_ms: 20,
        backoff_max_ms: 50,
        ..AnalyzerConfig::default()
    }
}

/// Deterministic noise in [-1, 1] (a fixed linear congruential sequence).
fn noise(points: usize, seed: u64) -> Vec<f64> {
    let mut state = seed;
    (0..points)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 33) as f64 / (1u64 << 31) as f64) * 2.0 - 1.0
        })
        .collect()
}

fn params(value: serde_json::Value) -> analyzer::api::Params {
    value.as_object().cloned().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_answers_through_the_client() -> anyhow::Result<()> {
    let service = AnomalyService::start();
    let analyzer = Analyzer::new(&config(service.url()))?;
    let trace = TraceContext::new_root();

    let health = analyzer.health(&trace).await?;
    assert_eq!(health.status, "ok");
    assert!(health.methods.iter().any(|method| method == "robust_z"));

    let mut values = noise(80, 1);
    values[60] = 25.0;
    let request = DetectRequest {
        series: Some(vec![Series {
            series_id: "pump-1".into(),
            timestamps: Some((0..80).map(|index| index as f64 * 1000.0).collect()),
            values,
        }]),
        method: Some("robust_z".into()),
        ..DetectRequest::default()
    };
    let detected = analyzer.detect(&request, &trace).await?;
    let result = &detected.results[0];
    assert_eq!(
        (result.series_id.as_str(), result.scores.len()),
        ("pump-1", 80)
    );
    let flagged: Vec<usize> = (0..80).filter(|index| result.flags[*index]).collect();
    assert_eq!(flagged, [60]);
    assert!(
        result
            .scores
            .iter()
            .all(|score| (0.0..=1.0).contains(score))
    );
    assert!(result.reasons[60].as_deref().unwrap().contains("robust z"));

    let train = TrainRequest {
        name: "pressure".into(),
        method: "ewma".into(),
        model_id: Some("contract-ewma".into()),
        params: params(json!({"lambda": 0.2})),
        series: Some(vec![Series {
            series_id: "p".into(),
            timestamps: None,
            values: noise(200, 2),
        }]),
        ..TrainRequest::default()
    };
    let trained = analyzer.train(&train, &trace).await?;
    assert_eq!(
        (trained.model_id.as_str(), trained.version),
        ("contract-ewma", 1)
    );

    let info = analyzer.model_info("contract-ewma", &trace).await?;
    assert_eq!(
        (info.name.as_str(), info.method.as_str()),
        ("pressure", "ewma")
    );
    assert_eq!(info.version, 1);
    assert_eq!(info.quality["train_points"], 200.0);

    let update = ConfigUpdate {
        params: params(json!({"lambda": 0.3})),
        name: Some("pressure line 2".into()),
    };
    let updated = analyzer
        .update_config("contract-ewma", &update, &trace)
        .await?;
    assert_eq!(updated.version, 2);
    assert_eq!(updated.params["lambda"], json!(0.3));
    assert_eq!(updated.name, "pressure line 2");

    let with_model = DetectRequest {
        series: train.series.clone(),
        model_id: Some("contract-ewma".into()),
        ..DetectRequest::default()
    };
    let scored = analyzer.detect(&with_model, &trace).await?;
    assert_eq!((scored.method.as_str(), scored.version), ("ewma", Some(2)));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_requests_name_the_problem_and_do_not_open_the_circuit() -> anyhow::Result<()> {
    let service = AnomalyService::start();
    let mut settings = config(service.url());
    settings.breaker_failures = 1;
    let analyzer = Analyzer::new(&settings)?;
    let trace = TraceContext::new_root();

    let missing = analyzer
        .model_info("no-such-model", &trace)
        .await
        .unwrap_err();
    assert!(
        matches!(&missing, AnalyzerError::Status { status: 404, detail, .. } if detail.contains("no-such-model")),
        "{missing}"
    );
    assert!(!missing.is_retryable());

    let unknown_method = DetectRequest {
        series: Some(vec![Series {
            series_id: "s".into(),
            timestamps: None,
            values: vec![1.0, 2.0, 3.0],
        }]),
        method: Some("astrology".into()),
        ..DetectRequest::default()
    };
    let error = analyzer.detect(&unknown_method, &trace).await.unwrap_err();
    assert!(error.to_string().contains("HTTP 400"), "{error}");
    assert!(error.to_string().contains("allowed methods"), "{error}");

    let mismatched = DetectRequest {
        series: Some(vec![Series {
            series_id: "s".into(),
            timestamps: Some(vec![1.0]),
            values: vec![1.0, 2.0],
        }]),
        method: Some("robust_z".into()),
        ..DetectRequest::default()
    };
    let error = analyzer.detect(&mismatched, &trace).await.unwrap_err();
    assert!(error.to_string().contains("HTTP 422"), "{error}");
    assert!(error.to_string().contains("timestamps"), "{error}");
    assert_eq!(analyzer.breaker_state(), BreakerState::Closed);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_circuit_opens_while_the_service_is_down_and_closes_after_it_returns()
-> anyhow::Result<()> {
    let mut service = AnomalyService::start();
    let mut settings = config(service.url());
    settings.max_attempts = 2;
    settings.breaker_failures = 3;
    settings.breaker_open_ms = 500;
    let analyzer = Analyzer::new(&settings)?;
    let trace = TraceContext::new_root();
    analyzer.health(&trace).await?;

    service.stop();
    let first = analyzer.health(&trace).await.unwrap_err();
    assert!(matches!(first, AnalyzerError::Connect { .. }), "{first}");
    assert!(first.is_retryable());
    assert_eq!(
        analyzer.breaker_state(),
        BreakerState::Closed,
        "2 of 3 failures"
    );
    let second = analyzer.health(&trace).await.unwrap_err();
    assert!(matches!(second, AnalyzerError::Connect { .. }), "{second}");
    assert_eq!(analyzer.breaker_state(), BreakerState::Open);
    let refused = analyzer.health(&trace).await.unwrap_err();
    assert!(
        matches!(&refused, AnalyzerError::CircuitOpen { last_error, .. } if last_error.contains("cannot connect")),
        "{refused}"
    );

    service.start_again();
    tokio::time::sleep(Duration::from_millis(600)).await;
    analyzer.health(&trace).await?;
    assert_eq!(analyzer.breaker_state(), BreakerState::Closed);
    assert_eq!(analyzer.breaker_error(), None);
    Ok(())
}

/// A one-shot HTTP peer that records the request head and answers like `/healthz`.
async fn recording_peer() -> (String, tokio::task::JoinHandle<String>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let peer = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut head = Vec::new();
        let mut buffer = [0u8; 1024];
        while !head.windows(4).any(|window| window == b"\r\n\r\n") {
            let read = stream.read(&mut buffer).await.unwrap();
            if read == 0 {
                break;
            }
            head.extend_from_slice(&buffer[..read]);
        }
        let body = r#"{"status":"ok","models":0,"methods":[]}"#;
        let answer = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(answer.as_bytes()).await.unwrap();
        String::from_utf8_lossy(&head).to_lowercase()
    });
    (url, peer)
}

#[tokio::test]
async fn the_event_trace_context_travels_as_the_traceparent_header() -> anyhow::Result<()> {
    let (url, peer) = recording_peer().await;
    let analyzer = Analyzer::new(&config(url))?;
    let event = detectviz::Event::new("/detectviz/test", "io.detectviz.test", &1)?
        .with_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    let trace = TraceContext::from_event(&event).unwrap();
    analyzer.health(&trace).await?;
    let head = peer.await?;
    let header = head
        .lines()
        .find_map(|line| line.strip_prefix("traceparent: "))
        .unwrap_or_else(|| panic!("no traceparent header in {head}"));
    assert!(
        header.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"),
        "{header}"
    );
    assert!(header.ends_with("-01"), "{header}");
    Ok(())
}
