//! Shared helpers for viot-web's integration tests.
#![allow(dead_code)]

pub mod served;

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
    let bus_config = eventbus::BusConfig {
        embedded_path: directory.join("bus.db"),
        ..Default::default()
    };
    let bus = eventbus::connect(&bus_config)
        .await
        .expect("embedded bus opens");
    let (ingest, alerts, tasks) = viot_web::commands::start_ingest_and_alerting(
        &config,
        &bus,
        &store,
        eventbus::CancellationToken::new(),
    )
    .await
    .unwrap();
    let health = HealthRegistry::default();
    viot_web::commands::register_health_checks(&health, &store, &bus);
    let config_path = directory.join("detectviz.conf");
    AppState {
        login_lockout: AppState::login_lockout_from(&config),
        config: ConfigHandle::new(config_path, config, CommandLineOverrides::default()),
        health,
        prometheus,
        started_at: Instant::now(),
        store,
        bus,
        ingest,
        alerts,
        tasks,
        analyzer: None,
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

/// A user with `role` and a live session; returns (cookie header value, csrf token).
pub async fn session_for(store: &store::Store, username: &str, role: &str) -> (String, String) {
    let user = store
        .users()
        .create(&store::NewUser {
            username: username.into(),
            display_name: username.into(),
            password_hash: "not-a-login-password".into(),
            role: role.into(),
            active: true,
        })
        .await
        .unwrap();
    let session_id = viot_web::auth::secrets::random_hex(32);
    let csrf_token = viot_web::auth::secrets::random_hex(16);
    let session = store::NewSession {
        session_hash: viot_web::auth::secrets::digest(&session_id),
        user_id: user.id,
        csrf_token: csrf_token.clone(),
        expires_at_ms: chrono::Utc::now().timestamp_millis() + 3_600_000,
        source_ip: None,
        user_agent: None,
    };
    store.sessions().create(&session).await.unwrap();
    (format!("dv_session={session_id}"), csrf_token)
}

/// An API token with `scopes`; returns the secret.
pub async fn token_for(store: &store::Store, name: &str, scopes: &[&str]) -> String {
    let request = viot_web::routes::tokens::CreateTokenRequest {
        name: name.into(),
        scopes: scopes.iter().map(|scope| scope.to_string()).collect(),
        expires_in_days: None,
    };
    viot_web::routes::tokens::issue_token(store, &request, "test")
        .await
        .unwrap()
        .0
}
