//! A local HTTP receiver for the webhook and ticket tests: `/hook/...` checks the HMAC
//! signature (401 when wrong), records the request and answers with ids in both shapes
//! (`/id`, `/result/number`); `/status/{code}` answers that status.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::routing::{any, post};

use crate::action::webhook::body_signature;

pub(crate) const SIGNATURE_SECRET: &str = "s3cr3t-signing-key";

#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub(crate) uri: String,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
}

pub(crate) type ReceivedLog = Arc<Mutex<Vec<Received>>>;

/// Starts the receiver; returns its base URL and the log of accepted requests.
pub(crate) async fn start_server() -> (String, ReceivedLog) {
    let received: ReceivedLog = Arc::default();
    async fn hook(
        State(received): State<ReceivedLog>,
        uri: Uri,
        headers: HeaderMap,
        body: Bytes,
    ) -> (StatusCode, String) {
        let expected = body_signature(SIGNATURE_SECRET, &body);
        let signature = headers
            .get("X-Detectviz-Signature")
            .and_then(|value| value.to_str().ok());
        if signature != Some(expected.as_str()) {
            return (StatusCode::UNAUTHORIZED, "bad signature".to_string());
        }
        received.lock().unwrap().push(Received {
            uri: uri.to_string(),
            headers,
            body: body.to_vec(),
        });
        (
            StatusCode::CREATED,
            r#"{"id": "WO-42", "result": {"number": "INC0010042"}}"#.to_string(),
        )
    }
    async fn status(Path(code): Path<u16>) -> (StatusCode, &'static str) {
        (StatusCode::from_u16(code).unwrap(), "status as asked")
    }
    let app = Router::new()
        .route("/hook/{*rest}", post(hook))
        .route("/status/{code}", any(status))
        .with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{address}"), received)
}
