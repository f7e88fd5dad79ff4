//! A receiving HTTP peer over plain std threads, for tests that run the `detectviz` binary:
//! it keeps every request, deduplicates messages on an idempotency header the way a careful
//! receiver does, and can hold the first request open without answering (so a test can kill
//! the sender in the middle of a delivery).
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// One received request.
#[derive(Debug, Clone)]
pub struct ReceivedRequest {
    pub path: String,
    /// Lowercase header names.
    pub headers: BTreeMap<String, String>,
    pub body: String,
}

impl ReceivedRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
}

/// How the sink answers a request whose key it already took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DuplicateAnswer {
    /// 200, as an idempotent webhook receiver does.
    Ok,
    /// 409 Conflict, as the LINE Messaging API does for a retry key it already accepted.
    Conflict,
}

#[derive(Debug, Default)]
struct SinkState {
    requests: Vec<ReceivedRequest>,
    /// The messages taken, once per idempotency key, in arrival order.
    inbox: Vec<String>,
    hold_first: bool,
}

/// The sink; it stops listening when the test process ends.
pub struct HttpSink {
    pub port: u16,
    state: Arc<(Mutex<SinkState>, Condvar)>,
}

impl HttpSink {
    /// Starts a sink deduplicating on `key_header` (lowercase). With `hold_first`, the first
    /// request is taken into the inbox but never answered.
    pub fn start(key_header: &'static str, duplicate: DuplicateAnswer, hold_first: bool) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new((
            Mutex::new(SinkState {
                hold_first,
                ..SinkState::default()
            }),
            Condvar::new(),
        ));
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let shared = shared.clone();
                std::thread::spawn(move || serve(stream, &shared, key_header, duplicate));
            }
        });
        HttpSink { port, state }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn requests(&self) -> Vec<ReceivedRequest> {
        self.state.0.lock().unwrap().requests.clone()
    }

    /// The deduplicated messages (bodies).
    pub fn inbox(&self) -> Vec<String> {
        self.state.0.lock().unwrap().inbox.clone()
    }

    /// Waits until at least `count` requests arrived; panics after `timeout`.
    pub fn wait_for_requests(&self, count: usize, timeout: Duration) -> Vec<ReceivedRequest> {
        let deadline = Instant::now() + timeout;
        let (lock, changed) = &*self.state;
        let mut state = lock.lock().unwrap();
        while state.requests.len() < count {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "timed out waiting for {count} requests; got {:?}",
                state.requests
            );
            state = changed.wait_timeout(state, left).unwrap().0;
        }
        state.requests.clone()
    }
}

fn serve(
    stream: TcpStream,
    shared: &Arc<(Mutex<SinkState>, Condvar)>,
    key_header: &str,
    duplicate: DuplicateAnswer,
) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    loop {
        let Some(request) = read_request(&mut reader) else {
            return;
        };
        let key = request.header(key_header).unwrap_or("").to_string();
        let (lock, changed) = &**shared;
        let mut state = lock.lock().unwrap();
        let hold = state.hold_first && state.requests.is_empty();
        let already_taken = state
            .requests
            .iter()
            .any(|earlier| !key.is_empty() && earlier.header(key_header) == Some(key.as_str()));
        if !already_taken {
            state.inbox.push(request.body.clone());
        }
        state.requests.push(request);
        changed.notify_all();
        drop(state);
        if hold {
            // Never answer: wait until the sender goes away.
            let mut rest = Vec::new();
            let _ = reader.read_to_end(&mut rest);
            return;
        }
        let (status, body) = match (already_taken, duplicate) {
            (true, DuplicateAnswer::Conflict) => (
                "409 Conflict",
                r#"{"message":"The retry key is already accepted"}"#.to_string(),
            ),
            _ => (
                "200 OK",
                format!(r#"{{"sentMessages":[{{"id":"msg-{key}","quoteToken":"q"}}]}}"#),
            ),
        };
        let answer = format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        if writer.write_all(answer.as_bytes()).is_err() {
            return;
        }
    }
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<ReceivedRequest> {
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).ok()? == 0 {
        return None;
    }
    let path = request_line.split_whitespace().nth(1)?.to_string();
    let mut headers = BTreeMap::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_string());
    }
    let length: usize = headers
        .get("content-length")
        .and_then(|value| value.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(ReceivedRequest {
        path,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}
