//! `Store`: a cheap-to-clone handle on one connection pool, SQLite or MySQL/MariaDB, chosen at
//! run time from the URL. Repositories hang off it (`store.users()`, ...).

use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyArguments, AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::query::Query;
use sqlx::{Any, AnyPool, Connection};

use crate::StoreError;
use crate::alert_events::AlertEvents;
use crate::alert_rules::AlertRules;
use crate::alerts::Alerts;
use crate::api_tokens::ApiTokens;
use crate::audit::AuditLog;
use crate::automation_runs::AutomationRuns;
use crate::contacts::Contacts;
use crate::database_url::{Backend, prepare_sqlite_url, redact_url};
use crate::notifications::Notifications;
use crate::sessions::Sessions;
use crate::settings::Settings;
use crate::silences::Silences;
use crate::tickets::Tickets;
use crate::users::Users;

/// How long a request waits for a pooled connection before the database counts as unavailable.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// How long `Store::connect` waits for the first connection before giving up.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

const SQLITE_MAX_CONNECTIONS: u32 = 4;
const MYSQL_MAX_CONNECTIONS: u32 = 10;

static SQLITE_MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");
static MYSQL_MIGRATOR: Migrator = sqlx::migrate!("./migrations/mysql");

/// The storage handle. Clone it freely: clones share one pool.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    redacted_url: Arc<str>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Store")
            .field("backend", &self.backend)
            .field("url", &self.redacted_url)
            .finish()
    }
}

impl Store {
    /// Connects to `sqlite://path` (file and directory created if missing, WAL mode) or
    /// `mysql://user:password@host:port/database`. Fails with `Unreachable` (password redacted)
    /// when the database cannot be reached; never panics.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let redacted_url = redact_url(url);
        let Some(backend) = Backend::from_url(url) else {
            return Err(StoreError::InvalidUrl {
                url: redacted_url,
                reason: "expected a sqlite:// or mysql:// url".to_string(),
            });
        };
        let connect_url = match backend {
            Backend::Sqlite => prepare_sqlite_url(url)?,
            Backend::MySql => url.to_string(),
        };
        let unreachable = |reason: String| StoreError::Unreachable {
            url: redacted_url.clone(),
            reason,
        };
        let connect_options: AnyConnectOptions =
            connect_url
                .parse()
                .map_err(|error: sqlx::Error| StoreError::InvalidUrl {
                    url: redacted_url.clone(),
                    reason: error.to_string(),
                })?;

        let first_connection = tokio::time::timeout(
            CONNECT_TIMEOUT,
            sqlx::AnyConnection::connect_with(&connect_options),
        )
        .await
        .map_err(|_elapsed| unreachable(format!("no answer within {CONNECT_TIMEOUT:?}")))?
        .map_err(|error| unreachable(error.to_string()))?;
        let _ = first_connection.close().await;

        let pool = pool_options(backend, url).connect_lazy_with(connect_options);
        let store = Store {
            pool,
            backend,
            redacted_url: Arc::from(redacted_url.as_str()),
        };
        if backend == Backend::Sqlite {
            store.enable_sqlite_write_ahead_log().await?;
        }
        tracing::info!(backend = %backend, url = %redacted_url, "connected to database");
        Ok(store)
    }

    /// WAL lets readers run while one writer writes; the mode is stored in the file itself.
    /// (sqlx already sets a 5 s busy timeout on every SQLite connection.)
    async fn enable_sqlite_write_ahead_log(&self) -> Result<(), StoreError> {
        if is_in_memory_sqlite(&self.redacted_url) {
            return Ok(());
        }
        sqlx::query("PRAGMA journal_mode = WAL")
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Applies the migrations of this backend that are not applied yet. Idempotent.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATOR,
            Backend::MySql => &MYSQL_MIGRATOR,
        };
        migrator.run(&self.pool).await?;
        Ok(())
    }

    /// Runs `SELECT 1`: `Ok` when the database answers within [`ACQUIRE_TIMEOUT`] (used by
    /// `/api/health`), `Unavailable` otherwise, even when the network silently drops packets.
    pub async fn ping(&self) -> Result<(), StoreError> {
        let select_one = sqlx::query("SELECT 1").execute(&self.pool);
        let Ok(answer) = tokio::time::timeout(ACQUIRE_TIMEOUT, select_one).await else {
            return Err(StoreError::Unavailable(sqlx::Error::PoolTimedOut));
        };
        answer?;
        Ok(())
    }

    /// Closes every pooled connection; later calls fail with `Unavailable`.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The URL this store was opened with, password replaced by `***`; safe to log.
    pub fn redacted_url(&self) -> &str {
        &self.redacted_url
    }

    pub fn users(&self) -> Users<'_> {
        Users::new(self)
    }

    pub fn audit_log(&self) -> AuditLog<'_> {
        AuditLog::new(self)
    }

    pub fn settings(&self) -> Settings<'_> {
        Settings::new(self)
    }

    pub fn user_preferences(&self) -> crate::UserPreferencesRepository<'_> {
        crate::UserPreferencesRepository::new(self)
    }

    pub fn api_tokens(&self) -> ApiTokens<'_> {
        ApiTokens::new(self)
    }

    pub fn sessions(&self) -> Sessions<'_> {
        Sessions::new(self)
    }

    pub fn oidc(&self) -> crate::oidc::Oidc<'_> {
        crate::oidc::Oidc::new(self)
    }

    pub fn alert_rules(&self) -> AlertRules<'_> {
        AlertRules::new(self)
    }

    pub fn alerts(&self) -> Alerts<'_> {
        Alerts::new(self)
    }

    pub fn alert_events(&self) -> AlertEvents<'_> {
        AlertEvents::new(self)
    }

    pub fn silences(&self) -> Silences<'_> {
        Silences::new(self)
    }

    pub fn contacts(&self) -> Contacts<'_> {
        Contacts::new(self)
    }

    pub fn devices(&self) -> crate::Devices<'_> {
        crate::Devices::new(self)
    }

    pub fn scans(&self) -> crate::Scans<'_> {
        crate::Scans::new(self)
    }

    pub fn notifications(&self) -> Notifications<'_> {
        Notifications::new(self)
    }

    pub fn automation_runs(&self) -> AutomationRuns<'_> {
        AutomationRuns::new(self)
    }

    pub fn automation_rules(&self) -> crate::AutomationRules<'_> {
        crate::AutomationRules::new(self)
    }

    pub fn alert_analyses(&self) -> crate::AlertAnalyses<'_> {
        crate::AlertAnalyses::new(self)
    }

    pub fn tickets(&self) -> Tickets<'_> {
        Tickets::new(self)
    }

    pub fn secrets(&self) -> crate::Secrets<'_> {
        crate::Secrets::new(self)
    }

    pub fn file_snapshots(&self) -> crate::FileSnapshots<'_> {
        crate::FileSnapshots::new(self)
    }

    pub fn reports(&self) -> crate::Reports<'_> {
        crate::Reports::new(self)
    }

    pub fn report_queries(&self) -> crate::ReportQueries<'_> {
        crate::ReportQueries::new(self)
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Runs an `INSERT` into a table with an auto-increment `id` and returns the new id.
    /// MySQL reports it with the result; the sqlx `Any` SQLite driver does not, so SQLite asks
    /// `last_insert_rowid()` on the same connection.
    pub(crate) async fn insert_returning_id(
        &self,
        insert: Query<'_, Any, AnyArguments>,
    ) -> Result<i64, sqlx::Error> {
        let mut connection = self.pool.acquire().await?;
        let result = insert.execute(&mut *connection).await?;
        if let Some(id) = result.last_insert_id() {
            return Ok(id);
        }
        sqlx::query_scalar("SELECT last_insert_rowid()")
            .fetch_one(&mut *connection)
            .await
    }
}

/// Pool settings: a short acquire timeout so a lost database is a quick `Unavailable`, and a
/// liveness test before each hand-out so dead connections are replaced once it is back.
/// An in-memory SQLite database lives only as long as its one connection, so it keeps one.
fn pool_options(backend: Backend, url: &str) -> AnyPoolOptions {
    let options = AnyPoolOptions::new()
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .test_before_acquire(true);
    match backend {
        Backend::MySql => options.max_connections(MYSQL_MAX_CONNECTIONS),
        Backend::Sqlite if is_in_memory_sqlite(url) => options
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None),
        Backend::Sqlite => options.max_connections(SQLITE_MAX_CONNECTIONS),
    }
}

fn is_in_memory_sqlite(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}

/// The current time as unix milliseconds, the timestamp format of every table.
pub(crate) fn now_unix_millis() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
