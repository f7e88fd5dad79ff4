//! Hot reload: watch the config file, validate every change, apply only valid ones.
//!
//! Modules subscribe to `ConfigHandle::subscribe()` (a `tokio::sync::watch` receiver) and see
//! each new valid configuration. An invalid file keeps the running configuration; the error
//! is logged, kept in `ReloadStatus` for `/api/health`, and counted in
//! `detectviz_config_reload_failures_total`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use detectviz::Role;
use notify::Watcher;
use tokio::sync::watch;

use super::{Config, ConfigError, load_config};

pub const RELOAD_FAILURES_METRIC: &str = "detectviz_config_reload_failures_total";
const RELOADS_METRIC: &str = "detectviz_config_reloads_total";
/// Editors write a file in several steps; wait this long for the last one.
const SETTLE_DELAY: Duration = Duration::from_millis(150);

/// Values given on the command line; they win over the file on every reload.
#[derive(Debug, Clone, Default)]
pub struct CommandLineOverrides {
    pub listen: Option<String>,
    pub role: Option<Role>,
}

impl CommandLineOverrides {
    pub fn apply(&self, config: &mut Config) {
        if let Some(listen) = &self.listen {
            config.server.listen = listen.clone();
        }
        if let Some(role) = self.role {
            config.node.role = role;
        }
    }
}

/// The outcome of the most recent reloads, shown on `/api/health`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReloadStatus {
    pub applied_reloads: u64,
    pub failed_reloads: u64,
    pub last_applied_at: Option<DateTime<Utc>>,
    /// Set while the file on disk is invalid; cleared by the next valid file.
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
}

/// The running configuration, shared by every module.
#[derive(Clone)]
pub struct ConfigHandle {
    path: PathBuf,
    overrides: CommandLineOverrides,
    sender: Arc<watch::Sender<Arc<Config>>>,
    status: Arc<Mutex<ReloadStatus>>,
}

impl ConfigHandle {
    pub fn new(
        path: impl Into<PathBuf>,
        config: Config,
        overrides: CommandLineOverrides,
    ) -> ConfigHandle {
        metrics::counter!(RELOAD_FAILURES_METRIC).absolute(0);
        metrics::counter!(RELOADS_METRIC).absolute(0);
        let (sender, _) = watch::channel(Arc::new(config));
        ConfigHandle {
            path: path.into(),
            overrides,
            sender: Arc::new(sender),
            status: Arc::new(Mutex::new(ReloadStatus::default())),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn current(&self) -> Arc<Config> {
        self.sender.borrow().clone()
    }

    /// The hook modules subscribe to: it yields each newly applied configuration.
    pub fn subscribe(&self) -> watch::Receiver<Arc<Config>> {
        self.sender.subscribe()
    }

    pub fn status(&self) -> ReloadStatus {
        self.status.lock().expect("reload status lock").clone()
    }

    /// Reads and validates the file; applies it when valid and different.
    /// Returns whether a new configuration was applied.
    pub fn reload(&self) -> Result<bool, ConfigError> {
        let loaded = load_config(&self.path).map(|mut config| {
            self.overrides.apply(&mut config);
            config
        });
        let mut status = self.status.lock().expect("reload status lock");
        let config = match loaded {
            Ok(config) => config,
            Err(error) => {
                tracing::error!(path = %self.path.display(), %error, "config reload rejected; keeping the running configuration");
                metrics::counter!(RELOAD_FAILURES_METRIC).increment(1);
                status.failed_reloads += 1;
                status.last_error = Some(error.to_string());
                status.last_error_at = Some(Utc::now());
                return Err(error);
            }
        };
        status.last_error = None;
        if *self.current() == config {
            return Ok(false);
        }
        warn_about_restart_only_keys(&self.current(), &config);
        self.sender.send_replace(Arc::new(config));
        metrics::counter!(RELOADS_METRIC).increment(1);
        status.applied_reloads += 1;
        status.last_applied_at = Some(Utc::now());
        tracing::info!(path = %self.path.display(), "config reloaded");
        Ok(true)
    }
}

fn warn_about_restart_only_keys(running: &Config, next: &Config) {
    if running.server.listen != next.server.listen {
        tracing::warn!("server.listen changed; it applies at the next restart");
    }
    if running.store != next.store {
        tracing::warn!("store settings changed; they apply at the next restart");
    }
    if running.automation != next.automation {
        tracing::warn!(
            "[automation] changed; it applies at the next restart (rules stored through /api/automation/rules apply at once)"
        );
    }
}

/// Keeps the file watcher alive; dropping it stops watching.
pub struct ConfigWatcher {
    _watcher: notify::RecommendedWatcher,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for ConfigWatcher {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Watches the config file's directory (editors replace files by rename) and reloads on change.
pub fn watch_config(handle: ConfigHandle) -> Result<ConfigWatcher, notify::Error> {
    let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel::<()>();
    let file_name = handle.path.file_name().map(|name| name.to_os_string());
    let mut watcher = notify::recommended_watcher(move |result: notify::Result<notify::Event>| {
        let Ok(event) = result else { return };
        let touches_our_file = event
            .paths
            .iter()
            .any(|path| path.file_name().map(|n| n.to_os_string()) == file_name);
        if touches_our_file && !event.kind.is_access() {
            let _ = sender.send(());
        }
    })?;
    let directory = match handle.path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    watcher.watch(&directory, notify::RecursiveMode::NonRecursive)?;
    let task = tokio::spawn(async move {
        while receiver.recv().await.is_some() {
            tokio::time::sleep(SETTLE_DELAY).await;
            while receiver.try_recv().is_ok() {}
            let _ = handle.reload();
        }
    });
    Ok(ConfigWatcher {
        _watcher: watcher,
        task,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn an_invalid_file_keeps_the_running_config_and_reports_the_error() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("detectviz.conf");
        write(&path, "[log]\nlevel = \"info\"\n");
        let handle = ConfigHandle::new(
            &path,
            load_config(&path).unwrap(),
            CommandLineOverrides::default(),
        );
        let mut subscriber = handle.subscribe();

        write(&path, "[log]\nlevel = \"debug\"\n");
        assert!(handle.reload().unwrap());
        assert!(subscriber.has_changed().unwrap());
        assert_eq!(subscriber.borrow_and_update().log.level, "debug");

        write(&path, "[log]\nlevel = \"debug\"\nbogus = 1\n");
        let error = handle.reload().unwrap_err();
        assert!(error.to_string().contains("log.bogus"), "{error}");
        assert_eq!(
            handle.current().log.level,
            "debug",
            "the running config is kept"
        );
        assert!(!subscriber.has_changed().unwrap());
        let status = handle.status();
        assert_eq!(status.failed_reloads, 1);
        assert!(status.last_error.unwrap().contains(":3:"));

        write(&path, "[log]\nlevel = \"warn\"\n");
        assert!(handle.reload().unwrap());
        assert_eq!(
            handle.status().last_error,
            None,
            "a valid file clears the error"
        );
    }

    #[test]
    fn command_line_values_survive_a_reload() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("detectviz.conf");
        write(&path, "[server]\nlisten = \"127.0.0.1:1000\"\n");
        let overrides = CommandLineOverrides {
            listen: Some("127.0.0.1:2000".into()),
            role: Some(Role::Monitor),
        };
        let mut config = load_config(&path).unwrap();
        overrides.apply(&mut config);
        let handle = ConfigHandle::new(&path, config, overrides);
        write(
            &path,
            "[server]\nlisten = \"127.0.0.1:1000\"\n[log]\nlevel = \"debug\"\n",
        );
        handle.reload().unwrap();
        assert_eq!(handle.current().server.listen, "127.0.0.1:2000");
        assert_eq!(handle.current().node.role, Role::Monitor);
    }

    #[tokio::test]
    async fn the_watcher_applies_a_change_written_to_disk() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("detectviz.conf");
        write(&path, "[log]\nlevel = \"info\"\n");
        let handle = ConfigHandle::new(
            &path,
            load_config(&path).unwrap(),
            CommandLineOverrides::default(),
        );
        let _watcher = watch_config(handle.clone()).unwrap();
        let mut subscriber = handle.subscribe();
        write(&path, "[log]\nlevel = \"trace\"\n");
        tokio::time::timeout(Duration::from_secs(10), subscriber.changed())
            .await
            .expect("reload seen")
            .unwrap();
        assert_eq!(handle.current().log.level, "trace");
    }
}
