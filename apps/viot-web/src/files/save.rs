//! Reading and writing confined files: size limit, UTF-8, atomic replacement (`.tmp` in the
//! same directory, fsync, rename, the old file's permissions kept) and a snapshot of every
//! version in the store. Before the first save of a file, or when it changed on disk since
//! its last snapshot, the content found on disk is recorded first, so it can be restored.

use std::io::{Read, Write};

use serde::Serialize;
use store::{FileSnapshot, Store};

use super::confine::ResolvedFile;
use super::{FilesError, content_hash};

/// Author of a snapshot of content found on disk.
pub const ON_DISK_AUTHOR: &str = "(on disk)";

/// Saves are rare; one at a time in this process keeps version numbers and files in step.
static SAVE_LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A file's current content.
#[derive(Debug, Clone, Serialize)]
pub struct FileContent {
    pub content: String,
    pub hash: String,
    pub size: usize,
    pub modified_ms: i64,
}

/// What a save did.
#[derive(Debug, Clone, Serialize)]
pub struct SavedFile {
    pub version: i64,
    pub hash: String,
    pub size: usize,
    /// The version recorded for the content that was on disk before, if it had none yet.
    pub previous_version: Option<i64>,
    /// False when the content equals what was already saved (nothing written).
    pub changed: bool,
}

/// Who saves, why, and what they read before editing.
pub struct SaveRequest<'request> {
    pub content: &'request str,
    pub author: &'request str,
    pub message: &'request str,
    /// The hash the editor read; a different file on disk means someone else saved first.
    pub base_hash: Option<&'request str>,
}

/// Reads a resolved file, refusing files over `limit` bytes or not UTF-8.
pub fn read_file(file: &ResolvedFile, limit: usize) -> Result<Option<FileContent>, FilesError> {
    if !file.exists {
        return Ok(None);
    }
    let io_error = |error: std::io::Error| FilesError::Io {
        action: "read",
        path: file.absolute.display().to_string(),
        reason: error.to_string(),
    };
    let metadata = std::fs::metadata(&file.absolute).map_err(io_error)?;
    if metadata.len() > limit as u64 {
        return Err(FilesError::TooLarge {
            path: file.relative.clone(),
            size: metadata.len() as usize,
            limit,
        });
    }
    // Read at most one byte over the limit: a file that grew since is still refused.
    let mut bytes = Vec::with_capacity(metadata.len() as usize);
    std::fs::File::open(&file.absolute)
        .and_then(|handle| handle.take(limit as u64 + 1).read_to_end(&mut bytes))
        .map_err(io_error)?;
    if bytes.len() > limit {
        return Err(FilesError::TooLarge {
            path: file.relative.clone(),
            size: bytes.len(),
            limit,
        });
    }
    let modified_ms = metadata
        .modified()
        .ok()
        .and_then(|time| time.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |duration| duration.as_millis() as i64);
    let hash = content_hash(&bytes);
    let size = bytes.len();
    let content = String::from_utf8(bytes).map_err(|_| FilesError::NotText {
        path: file.relative.clone(),
    })?;
    Ok(Some(FileContent {
        content,
        hash,
        size,
        modified_ms,
    }))
}

/// A unified diff from the saved file (empty when it does not exist) to `content`.
pub fn unified_diff(file: &ResolvedFile, saved: &str, content: &str) -> String {
    similar::TextDiff::from_lines(saved, content)
        .unified_diff()
        .context_radius(3)
        .header(
            &format!("a/{}/{}", file.root, file.relative),
            &format!("b/{}/{}", file.root, file.relative),
        )
        .to_string()
}

/// Writes `request.content` to the file with a snapshot; the caller has validated it.
pub async fn save_file(
    store: &Store,
    file: &ResolvedFile,
    limit: usize,
    request: &SaveRequest<'_>,
) -> Result<SavedFile, FilesError> {
    if request.content.len() > limit {
        return Err(FilesError::TooLarge {
            path: file.relative.clone(),
            size: request.content.len(),
            limit,
        });
    }
    let _one_save_at_a_time = SAVE_LOCK.lock().await;
    let current = read_file(file, limit)?;
    let current_hash = current.as_ref().map(|current| current.hash.clone());
    if let Some(expected) = request.base_hash
        && current_hash.as_deref().unwrap_or("") != expected
    {
        return Err(FilesError::Changed {
            path: file.relative.clone(),
            expected: expected.to_string(),
            found: current_hash.unwrap_or_else(|| "(no file)".into()),
        });
    }
    let snapshots = store.file_snapshots();
    let latest = snapshots.latest(&file.root, &file.relative).await?;
    let now_ms = chrono::Utc::now().timestamp_millis();
    let mut previous_version = None;
    if let Some(current) = &current
        && latest
            .as_ref()
            .is_none_or(|latest| latest.hash != current.hash)
    {
        let version = snapshots.next_version(&file.root, &file.relative).await?;
        snapshots
            .insert(&FileSnapshot {
                root: file.root.clone(),
                path: file.relative.clone(),
                version,
                content: current.content.clone(),
                hash: current.hash.clone(),
                size: current.size as i64,
                author: ON_DISK_AUTHOR.into(),
                message: "the file as found on disk before this change".into(),
                created_at_ms: now_ms,
            })
            .await?;
        previous_version = Some(version);
    }
    let hash = content_hash(request.content.as_bytes());
    if current_hash.as_deref() == Some(hash.as_str()) {
        let version = match previous_version {
            Some(version) => version,
            None => latest.map_or(0, |latest| latest.version),
        };
        return Ok(SavedFile {
            version,
            hash,
            size: request.content.len(),
            previous_version,
            changed: false,
        });
    }
    write_atomically(file, request.content.as_bytes())?;
    let version = snapshots.next_version(&file.root, &file.relative).await?;
    snapshots
        .insert(&FileSnapshot {
            root: file.root.clone(),
            path: file.relative.clone(),
            version,
            content: request.content.to_string(),
            hash: hash.clone(),
            size: request.content.len() as i64,
            author: request.author.to_string(),
            message: request.message.to_string(),
            created_at_ms: now_ms,
        })
        .await?;
    Ok(SavedFile {
        version,
        hash,
        size: request.content.len(),
        previous_version,
        changed: true,
    })
}

/// `.name.<random>.tmp` beside the file, written and synced, then renamed over it.
fn write_atomically(file: &ResolvedFile, bytes: &[u8]) -> Result<(), FilesError> {
    let io_error = |action: &'static str| {
        move |error: std::io::Error| FilesError::Io {
            action,
            path: file.absolute.display().to_string(),
            reason: error.to_string(),
        }
    };
    let directory = file
        .absolute
        .parent()
        .ok_or_else(|| io_error("find the directory of")(std::io::ErrorKind::NotFound.into()))?;
    let file_name = file
        .absolute
        .file_name()
        .and_then(|name| name.to_str())
        .unwrap_or("file");
    let temporary = directory.join(format!(
        ".{file_name}.{}.tmp",
        uuid::Uuid::new_v4().simple()
    ));
    let result = (|| {
        let mut handle = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temporary)
            .map_err(io_error("create a temporary file for"))?;
        handle.write_all(bytes).map_err(io_error("write"))?;
        handle.sync_all().map_err(io_error("sync"))?;
        if let Ok(metadata) = std::fs::metadata(&file.absolute) {
            std::fs::set_permissions(&temporary, metadata.permissions())
                .map_err(io_error("keep the permissions of"))?;
        }
        std::fs::rename(&temporary, &file.absolute).map_err(io_error("replace"))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result
}
