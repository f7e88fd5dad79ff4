//! After a deploy and reload: wait until metrics from every newly written file arrive at
//! ingest, and roll back to the snapshot the deploy took (then reload again) when they do not
//! within the timeout. Which metrics belong to which file follows from the tags the generator
//! sets: `device_id=<id>` for `detectviz-device-<id>.conf`, `healthcheck=<name>` for
//! `detectviz-healthcheck-<name>.conf`. Looking at ingest is the caller's part (`arrived`).

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::deploy::Deployer;
use crate::generate::MANAGED_FILE_PREFIX;
use crate::reload::TelegrafReloader;

/// Metrics that must arrive: some series carrying `tag=value`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MetricExpectation {
    pub file_name: String,
    pub tag: String,
    pub value: String,
}

/// One expectation per written device or health-check file.
pub fn expectations_for(written_files: &[String]) -> Vec<MetricExpectation> {
    written_files
        .iter()
        .filter_map(|file_name| {
            let stem = file_name
                .strip_prefix(MANAGED_FILE_PREFIX)?
                .strip_suffix(".conf")?;
            let (tag, value) = if let Some(id) = stem.strip_prefix("device-") {
                ("device_id", id)
            } else {
                ("healthcheck", stem.strip_prefix("healthcheck-")?)
            };
            Some(MetricExpectation {
                file_name: file_name.clone(),
                tag: tag.to_string(),
                value: value.to_string(),
            })
        })
        .collect()
}

/// How the verification ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum VerifyOutcome {
    /// Metrics from every file arrived.
    Verified,
    /// Some never arrived; telegraf.d was restored to the snapshot and Telegraf reloaded.
    RolledBack {
        snapshot_id: String,
        missing: Vec<MetricExpectation>,
        /// Empty, or what went wrong restoring or reloading.
        problem: String,
    },
}

/// Polls `arrived` for each expectation every `poll_interval` until all have arrived or
/// `timeout` passed; then rolls back to `snapshot_id` when any is missing.
pub async fn verify_or_roll_back(
    deployer: &Deployer,
    reloader: &dyn TelegrafReloader,
    snapshot_id: &str,
    expectations: &[MetricExpectation],
    arrived: impl Fn(&MetricExpectation) -> bool,
    timeout: Duration,
    poll_interval: Duration,
) -> VerifyOutcome {
    let started = Instant::now();
    let mut missing: Vec<MetricExpectation> = expectations.to_vec();
    loop {
        missing.retain(|expectation| !arrived(expectation));
        if missing.is_empty() {
            return VerifyOutcome::Verified;
        }
        if started.elapsed() >= timeout {
            break;
        }
        tokio::time::sleep(poll_interval.min(timeout.saturating_sub(started.elapsed()))).await;
    }
    let problem = match deployer.rollback(snapshot_id, "autodeploy") {
        Err(error) => format!("restoring the snapshot failed: {error}"),
        Ok(_) => match reloader.reload() {
            Ok(()) => String::new(),
            Err(error) => format!("reloading the restored configuration failed: {error}"),
        },
    };
    VerifyOutcome::RolledBack {
        snapshot_id: snapshot_id.to_string(),
        missing,
        problem,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_files_name_the_tags_their_metrics_carry() {
        let expectations = expectations_for(&[
            "detectviz-device-snmp-127.0.0.1-161.conf".to_string(),
            "detectviz-healthcheck-web.conf".to_string(),
            "outputs.conf".to_string(),
        ]);
        let pairs: Vec<(&str, &str)> = expectations
            .iter()
            .map(|expectation| (expectation.tag.as_str(), expectation.value.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [("device_id", "snmp-127.0.0.1-161"), ("healthcheck", "web")]
        );
    }
}
