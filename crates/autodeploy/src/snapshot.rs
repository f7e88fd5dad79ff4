//! Snapshots of the telegraf.d directory, kept outside it (`<snapshot dir>/<id>/files/*` plus
//! `manifest.toml` with time, author, message and per-file SHA-256). A snapshot without a
//! manifest is incomplete and ignored. Only the newest `retention` snapshots are kept.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::AutodeployError;

const MANIFEST_FILE_NAME: &str = "manifest.toml";
const FILES_DIRECTORY_NAME: &str = "files";

/// What a snapshot holds and why it was taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotManifest {
    /// Sortable id, e.g. `20261125T025709.123456Z`.
    pub id: String,
    /// 1 for the first snapshot of the directory, then one more than the newest kept.
    #[serde(default)]
    pub version: u64,
    pub created_at: DateTime<Utc>,
    pub author: String,
    pub message: String,
    /// SHA-256 over all file names and contents, in name order.
    pub content_sha256: String,
    pub files: Vec<SnapshotFileEntry>,
}

/// One file in a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotFileEntry {
    pub name: String,
    pub sha256: String,
}

/// The snapshot directory.
#[derive(Debug, Clone)]
pub struct SnapshotStore {
    directory: PathBuf,
    retention: usize,
}

impl SnapshotStore {
    /// `retention` is clamped to at least 1.
    pub fn new(directory: impl Into<PathBuf>, retention: usize) -> SnapshotStore {
        SnapshotStore {
            directory: directory.into(),
            retention: retention.max(1),
        }
    }

    /// Copy every regular, non-hidden file of `source_directory` into a new snapshot, then
    /// drop the oldest snapshots beyond the retention.
    pub fn take(
        &self,
        source_directory: &Path,
        author: &str,
        message: &str,
    ) -> Result<SnapshotManifest, AutodeployError> {
        let files = read_directory_files(source_directory)?;
        let version = self
            .list()?
            .iter()
            .map(|manifest| manifest.version)
            .max()
            .unwrap_or(0)
            + 1;
        let created_at = Utc::now();
        let base_id = created_at.format("%Y%m%dT%H%M%S%.6fZ").to_string();
        std::fs::create_dir_all(&self.directory).map_err(|source| {
            AutodeployError::io("creating snapshot directory", &self.directory, source)
        })?;
        let mut id = base_id.clone();
        let mut attempt = 0;
        while self.directory.join(&id).exists() {
            attempt += 1;
            id = format!("{base_id}-{attempt}");
        }
        let snapshot_directory = self.directory.join(&id);
        let files_directory = snapshot_directory.join(FILES_DIRECTORY_NAME);
        std::fs::create_dir_all(&files_directory)
            .map_err(|source| AutodeployError::io("creating snapshot", &files_directory, source))?;
        for (name, contents) in &files {
            let path = files_directory.join(name);
            std::fs::write(&path, contents)
                .map_err(|source| AutodeployError::io("writing snapshot file", &path, source))?;
        }
        let manifest = SnapshotManifest {
            id,
            version,
            created_at,
            author: author.to_string(),
            message: message.to_string(),
            content_sha256: content_hash(&files),
            files: files
                .iter()
                .map(|(name, contents)| SnapshotFileEntry {
                    name: name.clone(),
                    sha256: hex_sha256(contents),
                })
                .collect(),
        };
        let manifest_text = toml::to_string(&manifest)
            .map_err(|error| AutodeployError::Serialize(error.to_string()))?;
        write_atomically(
            &snapshot_directory.join(MANIFEST_FILE_NAME),
            manifest_text.as_bytes(),
        )?;
        self.prune()?;
        Ok(manifest)
    }

    /// Complete snapshots, oldest first.
    pub fn list(&self) -> Result<Vec<SnapshotManifest>, AutodeployError> {
        let entries = match std::fs::read_dir(&self.directory) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(AutodeployError::io(
                    "listing snapshots",
                    &self.directory,
                    source,
                ));
            }
        };
        let mut manifests = Vec::new();
        for entry in entries.filter_map(Result::ok) {
            let manifest_path = entry.path().join(MANIFEST_FILE_NAME);
            let Ok(text) = std::fs::read_to_string(&manifest_path) else {
                continue;
            };
            let manifest: SnapshotManifest =
                toml::from_str(&text).map_err(|error| AutodeployError::Io {
                    action: "parsing snapshot manifest",
                    path: manifest_path.clone(),
                    source: std::io::Error::new(std::io::ErrorKind::InvalidData, error.to_string()),
                })?;
            manifests.push(manifest);
        }
        manifests.sort_by(|left, right| left.id.cmp(&right.id));
        Ok(manifests)
    }

    /// The files of snapshot `snapshot_id`, by name.
    pub fn files(&self, snapshot_id: &str) -> Result<BTreeMap<String, Vec<u8>>, AutodeployError> {
        let known = self
            .list()?
            .into_iter()
            .any(|manifest| manifest.id == snapshot_id);
        if !known {
            return Err(AutodeployError::UnknownSnapshot {
                snapshot_id: snapshot_id.to_string(),
            });
        }
        read_directory_files(&self.directory.join(snapshot_id).join(FILES_DIRECTORY_NAME))
    }

    /// Unified diff from snapshot `older_id` to snapshot `newer_id`.
    pub fn diff(&self, older_id: &str, newer_id: &str) -> Result<String, AutodeployError> {
        Ok(unified_diff_of_file_sets(
            &self.files(older_id)?,
            &self.files(newer_id)?,
        ))
    }

    fn prune(&self) -> Result<(), AutodeployError> {
        let manifests = self.list()?;
        let excess = manifests.len().saturating_sub(self.retention);
        for manifest in &manifests[..excess] {
            let path = self.directory.join(&manifest.id);
            std::fs::remove_dir_all(&path)
                .map_err(|source| AutodeployError::io("removing old snapshot", &path, source))?;
        }
        Ok(())
    }
}

/// Regular, non-hidden files directly in `directory` (not `*.tmp`), by name.
pub fn read_directory_files(
    directory: &Path,
) -> Result<BTreeMap<String, Vec<u8>>, AutodeployError> {
    let entries = match std::fs::read_dir(directory) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(source) => return Err(AutodeployError::io("listing", directory, source)),
    };
    let mut files = BTreeMap::new();
    for entry in entries {
        let entry = entry.map_err(|source| AutodeployError::io("listing", directory, source))?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        let is_file = entry.file_type().is_ok_and(|file_type| file_type.is_file());
        if !is_file || name.starts_with('.') || name.ends_with(".tmp") {
            continue;
        }
        let path = entry.path();
        let contents =
            std::fs::read(&path).map_err(|source| AutodeployError::io("reading", &path, source))?;
        files.insert(name, contents);
    }
    Ok(files)
}

/// Write `<path>.tmp`, flush it to disk, then rename it over `path`.
pub fn write_atomically(path: &Path, contents: &[u8]) -> Result<(), AutodeployError> {
    use std::io::Write;
    let mut temporary_name = path.as_os_str().to_owned();
    temporary_name.push(".tmp");
    let temporary_path = PathBuf::from(temporary_name);
    let mut file = std::fs::File::create(&temporary_path)
        .map_err(|source| AutodeployError::io("creating", &temporary_path, source))?;
    file.write_all(contents)
        .and_then(|()| file.sync_all())
        .map_err(|source| AutodeployError::io("writing", &temporary_path, source))?;
    std::fs::rename(&temporary_path, path)
        .map_err(|source| AutodeployError::io("renaming into place", path, source))
}

/// One unified diff (`a/<name>` → `b/<name>`) per file that differs between the two sets.
pub fn unified_diff_of_file_sets(
    old_files: &BTreeMap<String, Vec<u8>>,
    new_files: &BTreeMap<String, Vec<u8>>,
) -> String {
    let mut names: Vec<&String> = old_files.keys().chain(new_files.keys()).collect();
    names.sort();
    names.dedup();
    let mut diff = String::new();
    for name in names {
        let old_text = old_files
            .get(name)
            .map(|bytes| String::from_utf8_lossy(bytes))
            .unwrap_or_default();
        let new_text = new_files
            .get(name)
            .map(|bytes| String::from_utf8_lossy(bytes))
            .unwrap_or_default();
        if old_text == new_text {
            continue;
        }
        let old_header = if old_files.contains_key(name) {
            format!("a/{name}")
        } else {
            "/dev/null".to_string()
        };
        let new_header = if new_files.contains_key(name) {
            format!("b/{name}")
        } else {
            "/dev/null".to_string()
        };
        let text_diff = similar::TextDiff::from_lines(old_text.as_ref(), new_text.as_ref());
        diff.push_str(
            &text_diff
                .unified_diff()
                .context_radius(3)
                .header(&old_header, &new_header)
                .to_string(),
        );
    }
    diff
}

fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn content_hash(files: &BTreeMap<String, Vec<u8>>) -> String {
    let mut hasher = Sha256::new();
    for (name, contents) in files {
        hasher.update((name.len() as u64).to_be_bytes());
        hasher.update(name.as_bytes());
        hasher.update((contents.len() as u64).to_be_bytes());
        hasher.update(contents);
    }
    hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}
