//! What each command does. `serve` wires the modules together and runs the server.

mod accounts;
mod bus;
pub mod deploy;
mod notify;
pub mod scan;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use detectviz::Role;

use crate::cli::{Cli, Command};
use crate::config::reload::CommandLineOverrides;
use crate::config::{
    Config, ConfigError, ConfigHandle, DEFAULT_CONFIG_TEXT, load_config, watch_config,
};
use crate::health::HealthRegistry;
use crate::ingest_pipeline::IngestPipeline;
use crate::rule_set::load_rule_set;
use crate::state::AppState;
use crate::telemetry::{LogLevelControl, init_logging, prometheus};
use alert::runner::AlertRunner;

/// Why a command failed; printed by `main` as one line, exit code 1.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error("{0}")]
    Config(#[from] ConfigError),
    #[error("cannot open the database: {0}")]
    Store(#[from] store::StoreError),
    #[error("cannot listen on {address}: {reason}")]
    Bind { address: String, reason: String },
    #[error("cannot watch the config file {path}: {reason}")]
    Watch { path: String, reason: String },
    #[error("{0}")]
    Account(String),
    #[error("event bus: {0}")]
    Bus(#[from] eventbus::BusError),
    #[error("{0}")]
    Usage(String),
    #[error("stored secrets: {0}")]
    Secrets(#[from] crate::secret_store::SecretError),
    #[error("server stopped: {0}")]
    Serve(#[from] std::io::Error),
}

pub async fn run(cli: Cli) -> Result<(), CommandError> {
    let role = cli.role.map(Role::from);
    match cli.command {
        Command::Version => {
            println!("detectviz {}", detectviz::VERSION);
            Ok(())
        }
        Command::ConfigTemplate => {
            print!("{DEFAULT_CONFIG_TEXT}");
            Ok(())
        }
        Command::CheckConfig => {
            load_config(&cli.config)?;
            println!("{}: ok", cli.config.display());
            Ok(())
        }
        Command::Migrate => {
            let config = load_config(&cli.config)?;
            let store = store::Store::connect(&config.store.url).await?;
            store.migrate().await?;
            println!("migrations applied to {}", store.redacted_url());
            Ok(())
        }
        Command::Serve { listen } => {
            serve(&cli.config, CommandLineOverrides { listen, role }).await
        }
        Command::Bus(command) => bus::run_bus_command(&cli.config, command).await,
        Command::Replay {
            stream,
            from,
            limit,
        } => bus::replay(&cli.config, &stream, &from, limit).await,
        Command::User(command) => {
            accounts::run_user_command(&open_store(&cli.config).await?, command).await
        }
        Command::Token(command) => {
            accounts::run_token_command(&open_store(&cli.config).await?, command).await
        }
        Command::Notify(command) => notify::run_notify_command(&cli.config, command).await,
        Command::Scan(arguments) => scan::run_scan_command(&cli.config, arguments).await,
        Command::Deploy(arguments) => deploy::run_deploy_command(&cli.config, arguments).await,
    }
}

/// Opens and migrates the configured database, for commands that change accounts.
async fn open_store(config_path: &Path) -> Result<store::Store, CommandError> {
    let config = load_config(config_path)?;
    let store = store::Store::connect(&config.store.url).await?;
    store.migrate().await?;
    Ok(store)
}

async fn serve(config_path: &Path, overrides: CommandLineOverrides) -> Result<(), CommandError> {
    let started_at = Instant::now();
    let mut config = load_config(config_path)?;
    overrides.apply(&mut config);
    let log_control = init_logging(&config.log);
    let prometheus = prometheus();

    let store = store::Store::connect(&config.store.url).await?;
    if config.store.migrate_on_start {
        store.migrate().await?;
    }
    accounts::bootstrap_first_start(&store).await?;
    accounts::bootstrap_first_start(&store).await?;
    check_secret_keys(&config, &store).await?;
    let bus = eventbus::connect(&config.bus).await?;
    let shutdown = eventbus::CancellationToken::new();
    let (ingest, alerts, tasks) =
        start_ingest_and_alerting(&config, &bus, &store, shutdown.clone()).await?;
    spawn_report_scheduler(&config, &store, shutdown.clone())?;
    let health = HealthRegistry::default();
    register_health_checks(&health, &store, &bus);
    let analyzer = crate::model_rules::start_model_rules(
        &config.analyzer,
        &bus,
        &alerts,
        &ingest.window,
        &health,
        shutdown.clone(),
    )
    .map_err(|error| CommandError::Usage(error.to_string()))?;

    let config_handle = ConfigHandle::new(config_path, config.clone(), overrides);
    let _watcher = watch_config(config_handle.clone()).map_err(|error| CommandError::Watch {
        path: config_path.display().to_string(),
        reason: error.to_string(),
    })?;
    spawn_log_level_follower(&config_handle, log_control);
    spawn_rule_file_follower(&config_handle, store.clone(), alerts.clone());

    let listener = tokio::net::TcpListener::bind(&config.server.listen)
        .await
        .map_err(|error| CommandError::Bind {
            address: config.server.listen.clone(),
            reason: error.to_string(),
        })?;
    let login_lockout = AppState::login_lockout_from(&config);
    let state = AppState {
        login_lockout,
        config: config_handle,
        health,
        prometheus,
        started_at,
        store,
        bus,
        ingest,
        alerts: alerts.clone(),
        tasks,
        analyzer,
        oidc: Default::default(),
    };
    announce(&config, &state);
    let grace = Duration::from_secs(config.server.shutdown_grace_s);
    crate::server::serve_until(
        listener,
        crate::app(state),
        crate::server::shutdown_signal(),
        grace,
    )
    .await?;
    shutdown.cancel();
    tracing::info!("stopped");
    Ok(())
}

/// Refuses to start when stored secrets cannot be opened (no key, or an unknown key), and
/// re-seals versions sealed under the previous key (key rotation).
async fn check_secret_keys(config: &Config, store: &store::Store) -> Result<(), CommandError> {
    let keys = crate::secret_store::SecretKeys::load(&config.secrets)?;
    let resealed = crate::secret_store::SecretStore::new(store.clone(), keys)
        .reseal_under_current_key()
        .await?;
    if resealed > 0 {
        tracing::info!(resealed, "stored secrets re-sealed under the current key");
    }
    Ok(())
}

/// The automation task runner, when `[automation]` is enabled.
pub type Tasks = Option<Arc<automation::TaskRunner>>;

/// Starts the alert runner (rules from `[alert] rules_files`) and the ingest pipeline that
/// feeds it, and the consumers of `dv:alerts`; all stop when `shutdown` is cancelled.
pub async fn start_ingest_and_alerting(
    config: &Config,
    bus: &eventbus::EventBus,
    store: &store::Store,
    shutdown: eventbus::CancellationToken,
) -> Result<(Arc<IngestPipeline>, Arc<AlertRunner>, Tasks), CommandError> {
    let rules = load_rule_set(&config.alert.rules_files, store)
        .await
        .map_err(CommandError::Usage)?;
    spawn_recorder(bus, store, shutdown.clone());
    spawn_notifier(config, bus, store, shutdown.clone());
    let tasks = spawn_automation(config, bus, store, shutdown.clone()).await;
    let alerts = AlertRunner::new(bus.clone(), rules);
    let (sample_sender, sample_receiver) = tokio::sync::mpsc::channel(256);
    alerts.spawn(
        sample_receiver,
        Duration::from_millis(config.alert.tick_interval_ms),
        shutdown,
    );
    let ingest = IngestPipeline::start(&config.ingest, Some(sample_sender))
        .map_err(|error| CommandError::Usage(format!("ingest forwarding: {error}")))?;
    Ok((Arc::new(ingest), alerts, tasks))
}

/// Runs the `[reporter]` cron schedules, when the section is present.
fn spawn_report_scheduler(
    config: &Config,
    store: &store::Store,
    shutdown: eventbus::CancellationToken,
) -> Result<(), CommandError> {
    let Some(reporter_config) = config.reporter.clone() else {
        tracing::info!("no [reporter] section: reports are made on demand only");
        return Ok(());
    };
    let reporter = reporter::Reporter::new(reporter_config, store.clone())
        .map_err(|error| CommandError::Usage(error.to_string()))?;
    tokio::spawn(async move {
        if let Err(error) = reporter::run_scheduler(reporter, shutdown).await {
            tracing::error!(%error, "the report scheduler stopped");
        }
    });
    Ok(())
}

/// Sends notifications for alert transitions (group `notifier` on `dv:alerts`), when configured.
fn spawn_notifier(
    config: &Config,
    bus: &eventbus::EventBus,
    store: &store::Store,
    shutdown: eventbus::CancellationToken,
) {
    let Some(notifier_config) = config.notifier.clone() else {
        tracing::info!(
            "no [notifier] section: alert transitions are recorded but nobody is notified"
        );
        return;
    };
    let (bus, store) = (bus.clone(), store.clone());
    tokio::spawn(async move {
        if let Err(error) = notifier::run_notifier(bus, store, notifier_config, shutdown).await {
            tracing::error!(%error, "the notifier stopped");
        }
    });
}

/// Runs repair actions for alert transitions (group `automation` on `dv:alerts`), when enabled;
/// returns the task runner (manual runs) sharing the executor.
async fn spawn_automation(
    config: &Config,
    bus: &eventbus::EventBus,
    store: &store::Store,
    shutdown: eventbus::CancellationToken,
) -> Option<Arc<automation::TaskRunner>> {
    if !config.automation.enabled {
        return None;
    }
    let executor = match automation::Executor::new(
        bus.clone(),
        store.clone(),
        config.automation.rules.clone(),
        config.automation.executor.clone(),
        shutdown.clone(),
    ) {
        Ok(executor) => Arc::new(executor),
        Err(error) => {
            tracing::error!(%error, "the automation executor cannot start");
            return None;
        }
    };
    if let Err(error) = executor.recover_interrupted().await {
        tracing::error!(%error, "cannot mark the interrupted automation runs");
        return None;
    }
    let tasks = automation::TaskRunner::new(executor.clone());
    tokio::spawn(async move {
        if let Err(error) = automation::run_automation(executor, shutdown).await {
            tracing::error!(%error, "the automation executor stopped");
        }
    });
    Some(tasks)
}

/// Makes every alert transition durable in the store (group `recorder` on `dv:alerts`).
fn spawn_recorder(
    bus: &eventbus::EventBus,
    store: &store::Store,
    shutdown: eventbus::CancellationToken,
) {
    let (bus, store) = (bus.clone(), store.clone());
    let consumer = format!("recorder-{}", std::process::id());
    tokio::spawn(async move {
        if let Err(error) = alert::recorder::run_recorder(bus, store, &consumer, shutdown).await {
            tracing::error!(%error, "the alert recorder stopped");
        }
    });
}

/// Reloads the rules whenever a new configuration is applied; a bad rule file keeps the
/// running rules and is logged.
fn spawn_rule_file_follower(config: &ConfigHandle, store: store::Store, alerts: Arc<AlertRunner>) {
    let mut changes = config.subscribe();
    tokio::spawn(async move {
        while changes.changed().await.is_ok() {
            let files = changes.borrow_and_update().alert.rules_files.clone();
            match load_rule_set(&files, &store).await {
                Ok(rules) => {
                    tracing::info!(rules = rules.len(), "alert rules reloaded");
                    alerts.set_rules(rules);
                }
                Err(error) => {
                    tracing::error!(%error, "alert rules not reloaded; keeping the running rules")
                }
            }
        }
    });
}

/// The checks `/api/health` runs: the store and the bus are both required.
pub fn register_health_checks(
    health: &HealthRegistry,
    store: &store::Store,
    bus: &eventbus::EventBus,
) {
    register_store_health(health, store);
    bus::register_bus_health(health, bus);
}

fn register_store_health(health: &HealthRegistry, store: &store::Store) {
    let store = store.clone();
    health.register_check("store", true, move || {
        let store = store.clone();
        async move {
            match store.ping().await {
                Ok(()) => Ok(format!("{:?} at {}", store.backend(), store.redacted_url())),
                Err(error) => Err(error.to_string()),
            }
        }
    });
}

/// Applies the log level of every newly applied configuration.
fn spawn_log_level_follower(config: &ConfigHandle, log_control: LogLevelControl) {
    let mut changes = config.subscribe();
    tokio::spawn(async move {
        let mut applied_level = changes.borrow_and_update().log.level.clone();
        while changes.changed().await.is_ok() {
            let level = changes.borrow_and_update().log.level.clone();
            if level != applied_level {
                log_control.set_level(&level);
                applied_level = level;
            }
        }
    });
}

fn announce(config: &Config, state: &AppState) {
    tracing::info!(
        version = detectviz::VERSION,
        role = %config.node.role,
        listen = %config.server.listen,
        store = %state.store.redacted_url(),
        "detectviz serving on http://{}",
        config.server.listen
    );
}
