//! A local HTTP server standing in for Slack, LINE or a webhook receiver: records every
//! request and answers as the test tells it to.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use crate::conformance::{ConformancePeer, PeerAnswer, Received};

#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: Method,
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// The status the peer answered with.
    pub answered: PeerAnswer,
}

impl RecordedRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("the request body is json")
    }
}

struct PeerState {
    accept_body: &'static str,
    answer: Mutex<PeerAnswer>,
    requests: Mutex<Vec<RecordedRequest>>,
}

pub struct HttpPeer {
    pub address: SocketAddr,
    state: Arc<PeerState>,
}

impl HttpPeer {
    /// Starts the server on 127.0.0.1 with an ephemeral port; `accept_body` is the 200 body.
    pub async fn start(accept_body: &'static str) -> HttpPeer {
        let state = Arc::new(PeerState {
            accept_body,
            answer: Mutex::new(PeerAnswer::Accept),
            requests: Mutex::new(Vec::new()),
        });
        let app = Router::new()
            .fallback(record_and_answer)
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        HttpPeer { address, state }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.requests.lock().unwrap().clone()
    }

    pub fn last_request(&self) -> RecordedRequest {
        self.requests().pop().expect("the peer received a request")
    }
}

impl ConformancePeer for HttpPeer {
    fn answer_with(&self, answer: PeerAnswer) {
        *self.state.answer.lock().unwrap() = answer;
    }

    fn accepted(&self) -> Vec<Received> {
        self.requests()
            .into_iter()
            .filter(|request| request.answered == PeerAnswer::Accept)
            .map(|request| Received {
                readable: String::from_utf8_lossy(&request.body).into_owned(),
            })
            .collect()
    }

    fn sends_retry_after(&self) -> bool {
        true
    }
}

async fn record_and_answer(
    State(state): State<Arc<PeerState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let answer = *state.answer.lock().unwrap();
    state.requests.lock().unwrap().push(RecordedRequest {
        method,
        path: uri.path().to_string(),
        headers,
        body,
        answered: answer,
    });
    match answer {
        PeerAnswer::Accept => (StatusCode::OK, state.accept_body).into_response(),
        PeerAnswer::RateLimited {
            retry_after_seconds,
        } => (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", retry_after_seconds.to_string())],
            "rate_limited",
        )
            .into_response(),
        PeerAnswer::ServerError => {
            (StatusCode::INTERNAL_SERVER_ERROR, "rollup_error").into_response()
        }
        PeerAnswer::BadRequest => (StatusCode::BAD_REQUEST, "invalid_payload").into_response(),
        PeerAnswer::Status(status) => (
            StatusCode::from_u16(status).unwrap(),
            [("x-line-accepted-request-id", "accepted-request-1")],
            "status",
        )
            .into_response(),
    }
}
