//! Deploying a set of generated files into telegraf.d: check names, stage them in a temporary
//! directory and validate every staged file, compute the unified diff against what is there,
//! and (unless dry-run) snapshot the directory, write each changed file as `.tmp` + rename,
//! and remove Detectviz files no longer in the set. Files not starting with `detectviz-` are
//! never touched by a deploy. Rollback restores a snapshot after snapshotting the present.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde::Deserialize;

use crate::error::AutodeployError;
use crate::generate::{GeneratedFile, MANAGED_FILE_PREFIX};
use crate::reference::TelegrafReference;
use crate::snapshot::{
    SnapshotManifest, SnapshotStore, read_directory_files, unified_diff_of_file_sets,
    write_atomically,
};
use crate::validate::{ValidationReport, validate_telegraf_toml};

/// The sample deployer configuration, parsed by a test.
pub const DEPLOYER_SAMPLE_TOML: &str = include_str!("../deployer.sample.toml");

/// Where Telegraf reads its files and where snapshots go.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeployerConfig {
    pub telegraf_directory: PathBuf,
    /// Must not be inside `telegraf_directory`.
    pub snapshot_directory: PathBuf,
    #[serde(default = "default_snapshot_retention")]
    pub snapshot_retention: usize,
}

fn default_snapshot_retention() -> usize {
    20
}

/// Who deploys, why, and whether to write at all.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeployOptions {
    pub dry_run: bool,
    pub author: String,
    pub message: String,
}

/// What a deploy did (or, in dry-run, would do).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DeployOutcome {
    /// Unified diff from the current files to the new set.
    pub diff: String,
    pub written_files: Vec<String>,
    pub removed_files: Vec<String>,
    pub validation_reports: Vec<ValidationReport>,
    /// The snapshot of the directory taken before writing; `None` in dry-run or when nothing changed.
    pub snapshot: Option<SnapshotManifest>,
    /// Whether anything was written.
    pub applied: bool,
}

/// Deploys into one telegraf.d.
#[derive(Debug, Clone)]
pub struct Deployer {
    config: DeployerConfig,
    reference: TelegrafReference,
    snapshots: SnapshotStore,
    /// `telegraf` for `config check` on the staged set, when it exists.
    telegraf_binary: Option<PathBuf>,
}

impl Deployer {
    pub fn new(
        config: DeployerConfig,
        reference: TelegrafReference,
    ) -> Result<Deployer, AutodeployError> {
        if config
            .snapshot_directory
            .starts_with(&config.telegraf_directory)
        {
            return Err(AutodeployError::Io {
                action: "configuring snapshots in",
                path: config.snapshot_directory.clone(),
                source: std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "the snapshot directory must be outside telegraf.d, or Telegraf would load the copies",
                ),
            });
        }
        let snapshots = SnapshotStore::new(&config.snapshot_directory, config.snapshot_retention);
        Ok(Deployer {
            config,
            reference,
            snapshots,
            telegraf_binary: None,
        })
    }

    /// Also run `<binary> config check` on every staged set, when that program exists.
    pub fn set_telegraf_binary(&mut self, binary: PathBuf) {
        self.telegraf_binary = Some(binary);
    }

    pub fn telegraf_directory(&self) -> &std::path::Path {
        &self.config.telegraf_directory
    }

    /// The Detectviz files now in telegraf.d, by name.
    pub fn managed_files(&self) -> Result<BTreeMap<String, Vec<u8>>, AutodeployError> {
        Ok(read_directory_files(&self.config.telegraf_directory)?
            .into_iter()
            .filter(|(name, _)| is_managed_file_name(name))
            .collect())
    }

    pub fn snapshots(&self) -> &SnapshotStore {
        &self.snapshots
    }

    /// Replace the Detectviz-managed files in telegraf.d with `files`.
    pub fn deploy(
        &self,
        files: &[GeneratedFile],
        options: &DeployOptions,
    ) -> Result<DeployOutcome, AutodeployError> {
        let mut names = BTreeSet::new();
        for file in files {
            check_managed_file_name(&file.file_name)?;
            if !names.insert(file.file_name.as_str()) {
                return Err(unsafe_name(&file.file_name, "appears twice in the set"));
            }
        }
        let StagedFiles {
            contents_by_name: desired_files,
            validation_reports,
        } = self.stage_and_validate(files)?;

        let present_files = read_directory_files(&self.config.telegraf_directory)?;
        if let Some(binary) = &self.telegraf_binary {
            let mut resulting_files: BTreeMap<String, Vec<u8>> = present_files
                .iter()
                .filter(|(name, _)| !is_managed_file_name(name))
                .map(|(name, contents)| (name.clone(), contents.clone()))
                .collect();
            resulting_files.extend(desired_files.clone());
            telegraf_config_check(binary, &resulting_files)?;
        }
        let present_managed_files: BTreeMap<String, Vec<u8>> = present_files
            .into_iter()
            .filter(|(name, _)| is_managed_file_name(name))
            .collect();
        let diff = unified_diff_of_file_sets(&present_managed_files, &desired_files);
        let written_files: Vec<String> = desired_files
            .iter()
            .filter(|(name, contents)| present_managed_files.get(*name) != Some(contents))
            .map(|(name, _)| name.clone())
            .collect();
        let removed_files: Vec<String> = present_managed_files
            .keys()
            .filter(|name| !desired_files.contains_key(*name))
            .cloned()
            .collect();
        let mut outcome = DeployOutcome {
            diff,
            written_files,
            removed_files,
            validation_reports,
            snapshot: None,
            applied: false,
        };
        if options.dry_run || (outcome.written_files.is_empty() && outcome.removed_files.is_empty())
        {
            return Ok(outcome);
        }
        outcome.snapshot = Some(self.snapshots.take(
            &self.config.telegraf_directory,
            &options.author,
            &options.message,
        )?);
        std::fs::create_dir_all(&self.config.telegraf_directory).map_err(|source| {
            AutodeployError::io("creating", &self.config.telegraf_directory, source)
        })?;
        for name in &outcome.written_files {
            write_atomically(
                &self.config.telegraf_directory.join(name),
                &desired_files[name],
            )?;
        }
        for name in &outcome.removed_files {
            let path = self.config.telegraf_directory.join(name);
            std::fs::remove_file(&path)
                .map_err(|source| AutodeployError::io("removing", &path, source))?;
        }
        outcome.applied = true;
        Ok(outcome)
    }

    /// Restore telegraf.d to snapshot `snapshot_id` (all `.conf` files), after snapshotting
    /// the present state so the rollback itself can be undone. Returns the diff applied.
    pub fn rollback(&self, snapshot_id: &str, author: &str) -> Result<String, AutodeployError> {
        let snapshot_files = self.snapshots.files(snapshot_id)?;
        let present_files = read_directory_files(&self.config.telegraf_directory)?;
        let diff = unified_diff_of_file_sets(&present_files, &snapshot_files);
        if diff.is_empty() {
            return Ok(diff);
        }
        let message = format!("before rollback to {snapshot_id}");
        self.snapshots
            .take(&self.config.telegraf_directory, author, &message)?;
        for (name, contents) in &snapshot_files {
            if present_files.get(name) != Some(contents) {
                write_atomically(&self.config.telegraf_directory.join(name), contents)?;
            }
        }
        for name in present_files.keys() {
            if !snapshot_files.contains_key(name) && name.ends_with(".conf") {
                let path = self.config.telegraf_directory.join(name);
                std::fs::remove_file(&path)
                    .map_err(|source| AutodeployError::io("removing", &path, source))?;
            }
        }
        Ok(diff)
    }

    /// Write the files into a fresh temporary directory, read them back and validate them.
    fn stage_and_validate(&self, files: &[GeneratedFile]) -> Result<StagedFiles, AutodeployError> {
        let staging_directory = tempfile::tempdir().map_err(|source| {
            AutodeployError::io("creating staging directory", std::env::temp_dir(), source)
        })?;
        for file in files {
            let path = staging_directory.path().join(&file.file_name);
            std::fs::write(&path, &file.contents)
                .map_err(|source| AutodeployError::io("staging", &path, source))?;
        }
        let staged_files = read_directory_files(staging_directory.path())?;
        let mut reports = Vec::new();
        for (name, contents) in &staged_files {
            let report =
                validate_telegraf_toml(name, &String::from_utf8_lossy(contents), &self.reference);
            if !report.is_valid() {
                return Err(AutodeployError::Invalid {
                    file_name: name.clone(),
                    problems: report.summary(),
                });
            }
            reports.push(report);
        }
        Ok(StagedFiles {
            contents_by_name: staged_files,
            validation_reports: reports,
        })
    }
}

/// Files that passed staging: their bytes as read back, and one report per file.
struct StagedFiles {
    contents_by_name: BTreeMap<String, Vec<u8>>,
    validation_reports: Vec<ValidationReport>,
}

/// `telegraf config check --config-directory <staged copy of the whole resulting directory>`
/// (Telegraf 1.32 and later), skipped when the program is not installed.
fn telegraf_config_check(
    binary: &std::path::Path,
    files: &BTreeMap<String, Vec<u8>>,
) -> Result<(), AutodeployError> {
    let staging_directory = tempfile::tempdir().map_err(|source| {
        AutodeployError::io("creating staging directory", std::env::temp_dir(), source)
    })?;
    for (name, contents) in files {
        let path = staging_directory.path().join(name);
        std::fs::write(&path, contents)
            .map_err(|source| AutodeployError::io("staging", &path, source))?;
    }
    let output = std::process::Command::new(binary)
        .args(["config", "check", "--config-directory"])
        .arg(staging_directory.path())
        .stdin(std::process::Stdio::null())
        .output();
    let output = match output {
        Ok(output) => output,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(source) => return Err(AutodeployError::io("running", binary, source)),
    };
    if output.status.success() {
        return Ok(());
    }
    let text = String::from_utf8_lossy(&output.stderr).into_owned()
        + &String::from_utf8_lossy(&output.stdout);
    Err(AutodeployError::Invalid {
        file_name: "(staged set)".to_string(),
        problems: format!("telegraf config check: {}", text.trim()),
    })
}

pub(crate) fn is_managed_file_name(name: &str) -> bool {
    name.starts_with(MANAGED_FILE_PREFIX) && name.ends_with(".conf")
}

fn unsafe_name(file_name: &str, reason: &str) -> AutodeployError {
    AutodeployError::UnsafeFileName {
        file_name: file_name.to_string(),
        reason: reason.to_string(),
    }
}

fn check_managed_file_name(file_name: &str) -> Result<(), AutodeployError> {
    if !is_managed_file_name(file_name) {
        return Err(unsafe_name(
            file_name,
            "must start with `detectviz-` and end with `.conf`",
        ));
    }
    let safe = file_name
        .chars()
        .all(|character| character.is_ascii_alphanumeric() || "-_.".contains(character));
    if !safe {
        return Err(unsafe_name(
            file_name,
            "may only use letters, digits, `-`, `_` and `.`",
        ));
    }
    Ok(())
}
