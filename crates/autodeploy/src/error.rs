//! The autodeploy errors: profiles that do not load, devices that cannot be turned into
//! Telegraf configuration, configuration that fails validation, and deploy, snapshot and
//! reload failures. Messages are lowercase and name the file, key or device involved.

use std::path::PathBuf;

/// Everything that can go wrong in the file side of the autodeploy pipeline.
#[derive(Debug, thiserror::Error)]
pub enum AutodeployError {
    /// A profile file could not be read or parsed, or one of its keys holds a bad value.
    #[error("profile file {file}: key `{key}`: {reason}")]
    Profile {
        file: PathBuf,
        key: String,
        reason: String,
    },
    /// The profile directory lacks the generic fallback profile.
    #[error("profile directory {directory} has no generic fallback profile (`generic.toml`)")]
    MissingGenericProfile { directory: PathBuf },
    /// A device cannot be turned into Telegraf configuration.
    #[error("device `{device_id}`: {reason}")]
    Generate { device_id: String, reason: String },
    /// A health-check target is not usable.
    #[error("health-check target `{target}`: {reason}")]
    HealthcheckTarget { target: String, reason: String },
    /// The Telegraf reference (option lists, sample configs) could not be read.
    #[error("telegraf reference at {path}: {reason}")]
    Reference { path: PathBuf, reason: String },
    /// Generated or staged configuration did not pass validation.
    #[error("configuration `{file_name}` is invalid: {problems}")]
    Invalid { file_name: String, problems: String },
    /// A file name for telegraf.d is unsafe (path separators, hidden files, wrong extension).
    #[error("file name `{file_name}` is not allowed in telegraf.d: {reason}")]
    UnsafeFileName { file_name: String, reason: String },
    /// No device with this id is stored.
    #[error("device `{device_id}` is not known (scan for it first)")]
    UnknownDevice { device_id: String },
    /// No snapshot with this id exists.
    #[error("snapshot `{snapshot_id}` does not exist")]
    UnknownSnapshot { snapshot_id: String },
    /// A file system operation failed.
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Reloading Telegraf failed.
    #[error("reload via {method}: {reason}")]
    Reload {
        method: &'static str,
        reason: String,
    },
    /// The reload after a deploy failed, so telegraf.d was restored to the snapshot taken
    /// before the deploy.
    #[error(
        "reload failed ({reload_error}); rolled back to snapshot {snapshot_id}{after_rollback}"
    )]
    RolledBack {
        snapshot_id: String,
        reload_error: String,
        /// Empty, or what went wrong reloading the restored configuration.
        after_rollback: String,
    },
    /// A scan target (CIDR range or host) is not usable.
    #[error("scan target `{entry}`: {reason}")]
    InvalidScanTarget { entry: String, reason: String },
    /// A scan setting is out of range.
    #[error("scan setting `{key}`: {reason}")]
    InvalidScanSetting { key: &'static str, reason: String },
    /// Recording scan results in the store failed.
    #[error("store: {0}")]
    Store(#[from] store::StoreError),
    /// Publishing a device or scan event on the bus failed.
    #[error("event bus stream `{stream}`: {reason}")]
    Bus { stream: String, reason: String },
    /// Serialising generated configuration to TOML failed.
    #[error("serialising telegraf configuration: {0}")]
    Serialize(String),
}

impl AutodeployError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        AutodeployError::Io {
            action,
            path: path.into(),
            source,
        }
    }

    /// Whether trying the same step again later may succeed (IO and reload failures), as
    /// opposed to bad input that will fail the same way every time.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            AutodeployError::Io { .. }
                | AutodeployError::Reload { .. }
                | AutodeployError::Bus { .. }
        )
    }
}
