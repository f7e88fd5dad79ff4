//! Oversized bodies are refused with 413 on every route of the book that can change state:
//! announced (Content-Length over `[server] body_limit_bytes`) on every one, and streamed
//! without a length on every route whose documented request has a body (the limit must hold
//! while the handler reads, not only on the header).

mod support;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;
use viot_web::app;
use viot_web::config::Config;
use viot_web::routes::openapi_catalog::{RequestBody, catalog};
use viot_web::routes::route_book;

const LIMIT: usize = 1024;

fn concrete_path(path: &str) -> String {
    path.replace("{id}", "1")
        .replace("{name}", "some_name")
        .replace("{fingerprint}", "0000")
        .replace("{format}", "csv")
        .replace("{*path}", "console/console.js")
}

fn request(method: &Method, path: &str, token: &str, body: Body) -> Request<Body> {
    Request::builder()
        .method(method.clone())
        .uri(concrete_path(path))
        .header("authorization", token)
        .header("content-type", "application/json")
        .body(body)
        .unwrap()
}

/// A JSON-looking body of `size` bytes, in 256-byte chunks, with no length announced.
fn streamed(size: usize) -> Body {
    let mut text = String::from("{\"padding\": \"");
    text.push_str(&"x".repeat(size));
    text.push_str("\"}");
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = text
        .into_bytes()
        .chunks(256)
        .map(|chunk| Ok(chunk.to_vec()))
        .collect();
    Body::from_stream(futures::stream::iter(chunks))
}

async fn body_text(response: axum::response::Response) -> String {
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8_lossy(&bytes).into_owned()
}

#[tokio::test]
async fn every_changing_route_refuses_an_oversized_body_with_413() {
    let directory = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.server.body_limit_bytes = LIMIT;
    let state = support::test_state(directory.path(), config).await;
    let token = format!(
        "Bearer {}",
        support::token_for(&state.store, "admin", &["admin"]).await
    );
    let entries = route_book(state.clone()).entries().to_vec();
    let documented = catalog();
    let router = app(state);

    let mut announced = 0;
    let mut streamed_checked = 0;
    let mut failures = Vec::new();
    for entry in entries
        .iter()
        .filter(|entry| !matches!(entry.method, Method::GET | Method::HEAD))
    {
        let oversized = vec![b'x'; LIMIT * 4];
        let mut with_length = request(&entry.method, entry.path, &token, Body::from(oversized));
        with_length
            .headers_mut()
            .insert("content-length", (LIMIT * 4).into());
        let response = router.clone().oneshot(with_length).await.unwrap();
        if response.status() != StatusCode::PAYLOAD_TOO_LARGE {
            failures.push(format!(
                "{} {} with Content-Length over the limit: {} {}",
                entry.method,
                entry.path,
                response.status(),
                body_text(response).await
            ));
        }
        announced += 1;

        let takes_a_body = documented.iter().any(|route_doc| {
            route_doc.method == entry.method.as_str()
                && route_doc.path == entry.path
                && !matches!(route_doc.body, RequestBody::None)
        });
        if !takes_a_body {
            continue;
        }
        let response = router
            .clone()
            .oneshot(request(
                &entry.method,
                entry.path,
                &token,
                streamed(LIMIT * 64),
            ))
            .await
            .unwrap();
        if response.status() != StatusCode::PAYLOAD_TOO_LARGE {
            failures.push(format!(
                "{} {} with a streamed body over the limit: {} {}",
                entry.method,
                entry.path,
                response.status(),
                body_text(response).await
            ));
        }
        streamed_checked += 1;
    }
    assert!(failures.is_empty(), "not 413:\n{}", failures.join("\n"));
    assert!(announced >= 20, "only {announced} changing routes");
    assert!(
        streamed_checked >= 10,
        "only {streamed_checked} routes with bodies"
    );
}
