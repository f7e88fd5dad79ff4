//! Shared helpers for viot-web's integration tests.
#![allow(dead_code)]

use std::time::Instant;

use viot_web::AppState;
use viot_web::config::reload::CommandLineOverrides;
use viot_web::config::{Config, ConfigHandle};
use viot_web::health::HealthRegistry;

/// An app state on a fresh SQLite store in `directory`.
pub async fn test_state(directory: &std::path::Path, config: Config) -> AppState {
    // The recorder must be installed before any metric is registered, as `serve` does.
    let prometheus = viot_web::telemetry::prometheus();
    let url = format!("sqlite://{}", directory.join("detectviz.db").display());
    let store = store::Store::connect(&url)
        .await
        .expect("sqlite store opens");
    store.migrate().await.expect("migrations apply");
    let health = HealthRegistry::default();
    let checked_store = store.clone();
    health.register_check("store", true, move || {
        let store = checked_store.clone();
        async move {
            store
                .ping()
                .await
                .map(|()| "sqlite".to_string())
                .map_err(|error| error.to_string())
        }
    });
    let config_path = directory.join("detectviz.conf");
    AppState {
        config: ConfigHandle::new(config_path, config, CommandLineOverrides::default()),
        health,
        prometheus,
        started_at: Instant::now(),
        store,
    }
}

/// A free TCP port on loopback.
pub fn spare_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
