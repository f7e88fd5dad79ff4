//! Graceful shutdown: a request in flight when the signal arrives still gets its answer.

mod support;

use std::time::Duration;

use axum::Router;
use axum::routing::get;

#[tokio::test]
async fn an_in_flight_request_finishes_after_the_shutdown_signal() {
    let router = Router::new().route(
        "/slow",
        get(|| async {
            tokio::time::sleep(Duration::from_millis(700)).await;
            "finished"
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(viot_web::server::serve_until(
        listener,
        router,
        async {
            let _ = stopped.await;
        },
        Duration::from_secs(10),
    ));

    let request = tokio::spawn(async move {
        reqwest::get(format!("http://{address}/slow"))
            .await?
            .text()
            .await
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.send(()).unwrap();

    let answer = request
        .await
        .unwrap()
        .expect("the in-flight request is answered");
    assert_eq!(answer, "finished");
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("server stops")
        .unwrap()
        .unwrap();
    assert!(
        reqwest::get(format!("http://{address}/slow"))
            .await
            .is_err(),
        "no new connections after shutdown"
    );
}
