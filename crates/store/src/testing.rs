//! Test support (feature `testing`): isolated, migrated databases on both backends, so every
//! repository test runs against SQLite and MariaDB, in parallel.
//!
//! ```ignore
//! // In another crate: [dev-dependencies] store = { workspace = true, features = ["testing"] }
//! //                   plus tokio (with "macros") and anyhow.
//! async fn rules_round_trip(store: &store::Store) -> anyhow::Result<()> {
//!     // ... use `store` ...
//!     Ok(())
//! }
//! store::test_on_both_backends!(rules_round_trip);
//! // generates `rules_round_trip::sqlite` and `rules_round_trip::mysql` tests.
//! ```
//!
//! Or by hand: `let database = TestDatabase::mysql().await?; database.store()...;
//! database.cleanup().await;`. SQLite lives in a temporary directory. MariaDB gets a fresh
//! `dv_test_<uuid>` database on the server of `DETECTVIZ_TEST_MYSQL_URL` (default
//! `mysql://root@127.0.0.1:3306/test`); it is dropped by `cleanup()`, or, if the test panicked
//! first, when the `TestDatabase` is dropped.

use sqlx::Connection;

use crate::database_url::{Backend, with_database_name};
use crate::{Store, StoreError};

/// Environment variable naming the MySQL/MariaDB server used by tests.
pub const TEST_MYSQL_URL_VARIABLE: &str = "DETECTVIZ_TEST_MYSQL_URL";

/// The server used when `DETECTVIZ_TEST_MYSQL_URL` is not set (the CI MariaDB).
pub const DEFAULT_TEST_MYSQL_URL: &str = "mysql://root@127.0.0.1:3306/test";

/// The prefix of every database created by [`TestDatabase::mysql`].
pub const TEST_DATABASE_PREFIX: &str = "dv_test_";

/// A migrated store on a database of its own, removed when the test ends.
pub struct TestDatabase {
    store: Store,
    url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite {
        _directory: tempfile::TempDir,
    },
    MySql {
        server_url: String,
        database_name: String,
    },
    Done,
}

impl TestDatabase {
    /// A migrated store on a new SQLite file in a temporary directory.
    pub async fn sqlite() -> Result<TestDatabase, StoreError> {
        let directory = tempfile::tempdir().map_err(|error| StoreError::Unreachable {
            url: "sqlite://<tempdir>".to_string(),
            reason: format!("cannot create a temporary directory: {error}"),
        })?;
        let url = format!(
            "sqlite://{}",
            directory.path().join("detectviz.db").display()
        );
        let store = connect_and_migrate(&url).await?;
        Ok(TestDatabase {
            store,
            url,
            cleanup: Cleanup::Sqlite {
                _directory: directory,
            },
        })
    }

    /// A migrated store on a new `dv_test_<uuid>` database of the test MySQL/MariaDB server.
    pub async fn mysql() -> Result<TestDatabase, StoreError> {
        let server_url = test_mysql_server_url();
        let database_name = format!("{TEST_DATABASE_PREFIX}{}", uuid::Uuid::new_v4().simple());
        execute_on_server(
            &server_url,
            format!("CREATE DATABASE {database_name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"),
        )
        .await?;
        let url = with_database_name(&server_url, &database_name);
        let store = match connect_and_migrate(&url).await {
            Ok(store) => store,
            Err(error) => {
                let _ = drop_database(&server_url, &database_name).await;
                return Err(error);
            }
        };
        Ok(TestDatabase {
            store,
            url,
            cleanup: Cleanup::MySql {
                server_url,
                database_name,
            },
        })
    }

    /// A migrated store on a fresh database of the given backend.
    pub async fn for_backend(backend: Backend) -> Result<TestDatabase, StoreError> {
        match backend {
            Backend::Sqlite => TestDatabase::sqlite().await,
            Backend::MySql => TestDatabase::mysql().await,
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The full (unredacted) URL of this database, to open a second `Store` on it.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The MySQL database name (`dv_test_<uuid>`), or `None` on SQLite.
    pub fn mysql_database_name(&self) -> Option<&str> {
        match &self.cleanup {
            Cleanup::MySql { database_name, .. } => Some(database_name),
            Cleanup::Sqlite { .. } | Cleanup::Done => None,
        }
    }

    /// Closes the pool and removes the database. Prefer this over relying on `Drop`.
    pub async fn cleanup(mut self) {
        self.store.close().await;
        let cleanup = std::mem::replace(&mut self.cleanup, Cleanup::Done);
        let Cleanup::MySql {
            server_url,
            database_name,
        } = cleanup
        else {
            return;
        };
        if let Err(error) = drop_database(&server_url, &database_name).await {
            eprintln!("warning: cannot drop test database {database_name}: {error}");
        }
    }
}

impl Drop for TestDatabase {
    /// Fallback when `cleanup()` did not run (the test panicked): drops the MySQL database from a
    /// separate thread with its own runtime, because `Drop` cannot await.
    fn drop(&mut self) {
        let cleanup = std::mem::replace(&mut self.cleanup, Cleanup::Done);
        let Cleanup::MySql {
            server_url,
            database_name,
        } = cleanup
        else {
            return;
        };
        let dropper = std::thread::spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(error) => return Err(error.to_string()),
            };
            runtime
                .block_on(drop_database(&server_url, &database_name))
                .map_err(|error| format!("cannot drop test database {database_name}: {error}"))
        });
        match dropper.join() {
            Ok(Ok(())) => {}
            Ok(Err(message)) => eprintln!("warning: {message}"),
            Err(_panic) => eprintln!("warning: the test database cleanup thread panicked"),
        }
    }
}

/// `DETECTVIZ_TEST_MYSQL_URL`, or the CI default `mysql://root@127.0.0.1:3306/test`.
pub fn test_mysql_server_url() -> String {
    std::env::var(TEST_MYSQL_URL_VARIABLE).unwrap_or_else(|_| DEFAULT_TEST_MYSQL_URL.to_string())
}

async fn connect_and_migrate(url: &str) -> Result<Store, StoreError> {
    let store = Store::connect(url).await?;
    store.migrate().await?;
    Ok(store)
}

async fn drop_database(server_url: &str, database_name: &str) -> Result<(), StoreError> {
    execute_on_server(
        server_url,
        format!("DROP DATABASE IF EXISTS {database_name}"),
    )
    .await
}

/// Runs one statement on a short-lived connection to the test server. `statement` is built
/// only from constants and a generated uuid, never from test input.
async fn execute_on_server(server_url: &str, statement: String) -> Result<(), StoreError> {
    sqlx::any::install_default_drivers();
    let mut connection = sqlx::AnyConnection::connect(server_url)
        .await
        .map_err(|error| StoreError::Unreachable {
            url: crate::redact_url(server_url),
            reason: error.to_string(),
        })?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
        .execute(&mut connection)
        .await?;
    let _ = connection.close().await;
    Ok(())
}

/// Generates, for each named `async fn name(store: &Store) -> Result<(), E>` (E: Debug), a
/// module `name` with two `#[tokio::test]`s, `sqlite` and `mysql`, each on its own database.
/// The calling crate needs `tokio` (feature `macros`) as a dev-dependency.
#[macro_export]
macro_rules! test_on_both_backends {
    ($($test_function:ident),+ $(,)?) => {
        $(
            mod $test_function {
                #[::tokio::test]
                async fn sqlite() {
                    $crate::testing::run_on_backend(
                        $crate::Backend::Sqlite,
                        |store| ::std::boxed::Box::pin(super::$test_function(store)),
                    )
                    .await;
                }

                #[::tokio::test]
                async fn mysql() {
                    $crate::testing::run_on_backend(
                        $crate::Backend::MySql,
                        |store| ::std::boxed::Box::pin(super::$test_function(store)),
                    )
                    .await;
                }
            }
        )+
    };
}

/// Runs one test body on a fresh database of `backend`, cleans up, then fails the test if the
/// body returned an error. Used by [`test_on_both_backends!`].
pub async fn run_on_backend<TestError, TestBody>(backend: Backend, test_body: TestBody)
where
    TestError: std::fmt::Debug,
    TestBody: for<'store> FnOnce(
        &'store Store,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<(), TestError>> + 'store>,
    >,
{
    let database = match TestDatabase::for_backend(backend).await {
        Ok(database) => database,
        Err(error) => panic!("cannot create a {backend} test database: {error}"),
    };
    let outcome = test_body(database.store()).await;
    database.cleanup().await;
    if let Err(error) = outcome {
        panic!("test failed on {backend}: {error:?}");
    }
}
