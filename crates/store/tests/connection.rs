//! Connecting, migrating, pinging, and what happens when the database is unreachable or lost.

use std::time::{Duration, Instant};

use sqlx::Connection;
use store::testing::{TestDatabase, test_mysql_server_url};
use store::{Backend, Store, StoreError};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

async fn migrate_twice_is_idempotent(store: &Store) -> anyhow::Result<()> {
    store.migrate().await?;
    store.migrate().await?;
    store.ping().await?;
    Ok(())
}

async fn closed_store_is_unavailable(store: &Store) -> anyhow::Result<()> {
    store.close().await;
    let error = store.ping().await.expect_err("the pool is closed");
    assert!(error.is_unavailable(), "got {error:?}");
    assert!(matches!(error, StoreError::Unavailable(_)), "got {error:?}");
    Ok(())
}

store::test_on_both_backends!(migrate_twice_is_idempotent, closed_store_is_unavailable);

#[tokio::test]
async fn backend_follows_the_url_scheme() -> anyhow::Result<()> {
    let sqlite = TestDatabase::sqlite().await?;
    assert_eq!(sqlite.store().backend(), Backend::Sqlite);
    sqlite.cleanup().await;
    let mysql = TestDatabase::mysql().await?;
    assert_eq!(mysql.store().backend(), Backend::MySql);
    mysql.cleanup().await;
    Ok(())
}

#[tokio::test]
async fn sqlite_file_and_directory_are_created_on_first_run() -> anyhow::Result<()> {
    let directory = tempfile::tempdir()?;
    let database_path = directory.path().join("data").join("detectviz.db");
    let url = format!("sqlite://{}", database_path.display());

    let store = Store::connect(&url).await?;
    store.migrate().await?;
    store
        .settings()
        .put("first.run", &serde_json::json!(true), "test")
        .await?;
    assert!(database_path.is_file());
    assert!(
        directory
            .path()
            .join("data")
            .join("detectviz.db-wal")
            .is_file(),
        "write-ahead log mode"
    );
    store.close().await;

    let reopened = Store::connect(&url).await?;
    reopened.migrate().await?;
    assert!(reopened.settings().get("first.run").await?.is_some());
    Ok(())
}

#[tokio::test]
async fn unknown_scheme_is_an_invalid_url() {
    let error = Store::connect("postgres://admin:secret@db/detectviz")
        .await
        .expect_err("postgres is not supported");
    assert!(
        matches!(error, StoreError::InvalidUrl { .. }),
        "got {error:?}"
    );
    assert!(!error.to_string().contains("secret"), "{error}");
}

/// A port nothing listens on: bind an ephemeral port, then close it.
async fn closed_local_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    Ok(listener.local_addr()?.port())
}

#[tokio::test]
async fn unreachable_mysql_is_a_clear_error_with_the_password_redacted() -> anyhow::Result<()> {
    let port = closed_local_port().await?;
    let url = format!("mysql://root:hunter2@127.0.0.1:{port}/detectviz");

    let started = Instant::now();
    let error = Store::connect(&url)
        .await
        .expect_err("nothing listens there");
    assert!(started.elapsed() < Duration::from_secs(10), "fails fast");

    assert!(
        matches!(error, StoreError::Unreachable { .. }),
        "got {error:?}"
    );
    assert!(error.is_unavailable());
    let message = error.to_string();
    assert!(
        message.starts_with(&format!(
            "cannot reach database mysql://root:***@127.0.0.1:{port}/detectviz: "
        )),
        "{message}"
    );
    assert!(!message.contains("hunter2"), "{message}");
    Ok(())
}

#[tokio::test]
async fn unreadable_sqlite_location_is_unreachable() {
    let error = Store::connect("sqlite:///proc/detectviz-cannot-create/x.db")
        .await
        .expect_err("cannot create a directory under /proc");
    assert!(
        matches!(error, StoreError::Unreachable { .. }),
        "got {error:?}"
    );
}

/// A TCP proxy in front of the test MariaDB: stopping it makes the database "lost" for the
/// store behind it without touching the shared server; starting it again brings it "back".
struct TcpProxy {
    accept_task: tokio::task::JoinHandle<()>,
}

impl TcpProxy {
    async fn start(listen_port: u16, upstream: String) -> anyhow::Result<(TcpProxy, u16)> {
        let listener = TcpListener::bind(("127.0.0.1", listen_port)).await?;
        let port = listener.local_addr()?.port();
        let accept_task = tokio::spawn(async move {
            let mut connections = JoinSet::new();
            while let Ok((mut client, _)) = listener.accept().await {
                let upstream = upstream.clone();
                connections.spawn(async move {
                    let Ok(mut server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                });
            }
        });
        Ok((TcpProxy { accept_task }, port))
    }

    /// Closes the listener and every proxied connection (aborting the task drops the JoinSet).
    async fn stop(self) {
        self.accept_task.abort();
        let _ = self.accept_task.await;
    }
}

/// `host:port` of a `mysql://user@host:port/db` URL.
fn authority_host(url: &str) -> String {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = after_scheme
        .split(['/', '?'])
        .next()
        .unwrap_or(after_scheme);
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    host.to_string()
}

#[tokio::test]
async fn mysql_lost_then_back_recovers_on_its_own() -> anyhow::Result<()> {
    let database = TestDatabase::mysql().await?;
    let upstream = authority_host(database.url());
    let (proxy, proxy_port) = TcpProxy::start(0, upstream.clone()).await?;
    let proxied_url = database
        .url()
        .replacen(&upstream, &format!("127.0.0.1:{proxy_port}"), 1);
    let store = Store::connect(&proxied_url).await?;
    store.users().list().await?;

    proxy.stop().await;
    let started = Instant::now();
    let error = store
        .users()
        .list()
        .await
        .expect_err("the database is gone");
    assert!(error.is_unavailable(), "got {error:?}");
    assert!(started.elapsed() < Duration::from_secs(10), "fails fast");
    assert!(store.ping().await.expect_err("still gone").is_unavailable());

    let (proxy, _) = TcpProxy::start(proxy_port, upstream).await?;
    store.ping().await?;
    store.users().list().await?;

    proxy.stop().await;
    database.cleanup().await;
    Ok(())
}

#[tokio::test]
async fn mysql_pool_replaces_killed_connections() -> anyhow::Result<()> {
    let database = TestDatabase::mysql().await?;
    let database_name = database.mysql_database_name().expect("mysql").to_string();
    database.store().ping().await?;

    let mut admin = sqlx::MySqlConnection::connect(&test_mysql_server_url()).await?;
    let connection_ids: Vec<i64> =
        sqlx::query_scalar("SELECT ID FROM information_schema.PROCESSLIST WHERE DB = ?")
            .bind(&database_name)
            .fetch_all(&mut admin)
            .await?;
    assert!(!connection_ids.is_empty(), "the pool holds a connection");
    for connection_id in connection_ids {
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "KILL CONNECTION {connection_id}"
        )))
        .execute(&mut admin)
        .await?;
    }

    database.store().ping().await?;
    database.store().users().list().await?;
    admin.close().await?;
    database.cleanup().await;
    Ok(())
}

#[tokio::test]
async fn in_memory_sqlite_keeps_its_data() -> anyhow::Result<()> {
    let store = Store::connect("sqlite::memory:").await?;
    store.migrate().await?;
    store
        .settings()
        .put("kept", &serde_json::json!(1), "test")
        .await?;
    for _ in 0..5 {
        assert!(store.settings().get("kept").await?.is_some());
    }
    Ok(())
}

async fn mysql_database_exists(database_name: &str) -> anyhow::Result<bool> {
    let mut admin = sqlx::MySqlConnection::connect(&test_mysql_server_url()).await?;
    let found: Option<String> = sqlx::query_scalar(
        "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?",
    )
    .bind(database_name)
    .fetch_optional(&mut admin)
    .await?;
    admin.close().await?;
    Ok(found.is_some())
}

#[tokio::test]
async fn mysql_test_database_is_dropped_by_cleanup_and_by_drop() -> anyhow::Result<()> {
    let cleaned = TestDatabase::mysql().await?;
    let cleaned_name = cleaned.mysql_database_name().expect("mysql").to_string();
    assert!(mysql_database_exists(&cleaned_name).await?);
    cleaned.cleanup().await;
    assert!(!mysql_database_exists(&cleaned_name).await?);

    let dropped = TestDatabase::mysql().await?;
    let dropped_name = dropped.mysql_database_name().expect("mysql").to_string();
    dropped.store().users().list().await?;
    drop(dropped);
    assert!(
        !mysql_database_exists(&dropped_name).await?,
        "Drop cleans up after a panic"
    );
    Ok(())
}
