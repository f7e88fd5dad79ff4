//! Confinement: a requested (root, path) becomes a real file inside that root, or is refused.
//!
//! The path must be plain and relative (`a/b.yaml`): no empty, `.` or `..` segments, no
//! leading `/`, no backslash, no `%` (an encoded or double-encoded path that slipped through),
//! no NUL or other control character, no hidden names. The joined path is then canonicalized,
//! every symlink resolved, and must still start with the root's canonical directory; a file
//! that does not exist yet needs a parent that does, inside the root.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{CsvSchema, FileKind, FileRootConfig, FilesConfig, FilesError};

/// The longest relative path accepted, in bytes.
const MAX_PATH_BYTES: usize = 400;
/// How deep a listing walks below a directory root.
const MAX_LIST_DEPTH: usize = 8;
/// The most files a listing returns per root.
const MAX_LISTED_FILES: usize = 2_000;

/// A file inside a root, after every check.
#[derive(Debug, Clone)]
pub struct ResolvedFile {
    pub root: String,
    /// The path inside the root as requested, `/`-separated.
    pub relative: String,
    /// Canonical location (for a file that does not exist yet: canonical parent + name).
    pub absolute: PathBuf,
    pub kind: FileKind,
    pub csv_schema: CsvSchema,
    pub exists: bool,
}

/// One file in a listing.
#[derive(Debug, Clone, Serialize)]
pub struct ListedFile {
    pub path: String,
    pub kind: FileKind,
    pub size: u64,
    pub modified_ms: i64,
    pub exists: bool,
}

/// A root as the API lists it.
#[derive(Debug, Clone, Serialize)]
pub struct ListedRoot {
    pub name: String,
    pub kinds: Vec<FileKind>,
    pub csv_schema: CsvSchema,
    /// Whether the root is one file rather than a directory.
    pub single_file: bool,
    pub files: Vec<ListedFile>,
}

/// The configured roots.
pub struct FileRoots<'config> {
    config: &'config FilesConfig,
}

/// Where a root lives on disk: its canonical directory and, for a one-file root, the name.
struct RootLocation {
    directory: PathBuf,
    single_file: Option<String>,
}

impl<'config> FileRoots<'config> {
    pub fn new(config: &'config FilesConfig) -> FileRoots<'config> {
        FileRoots { config }
    }

    fn root(&self, name: &str) -> Result<&'config FileRootConfig, FilesError> {
        self.config
            .roots
            .iter()
            .find(|root| root.name == name)
            .ok_or_else(|| FilesError::UnknownRoot(name.to_string()))
    }

    /// Resolves `relative` inside root `root_name`, or says why not.
    pub fn resolve(&self, root_name: &str, relative: &str) -> Result<ResolvedFile, FilesError> {
        let root = self.root(root_name)?;
        let segments = plain_relative_segments(relative)?;
        let refused = |reason: &str| FilesError::Refused {
            path: relative.to_string(),
            reason: reason.to_string(),
        };
        let not_found = || FilesError::NotFound {
            root: root_name.to_string(),
            path: relative.to_string(),
        };
        let location = locate_root(root).ok_or_else(not_found)?;
        if let Some(file_name) = &location.single_file
            && segments != [file_name.as_str()]
        {
            return Err(not_found());
        }
        let candidate = segments
            .iter()
            .fold(location.directory.clone(), |path, segment| {
                path.join(segment)
            });
        let (absolute, exists) = match std::fs::symlink_metadata(&candidate) {
            Ok(_) => {
                let canonical = candidate
                    .canonicalize()
                    .map_err(|_| refused("a symlink that points nowhere"))?;
                if !canonical.starts_with(&location.directory) {
                    return Err(refused("it leads out of its root"));
                }
                if !canonical.is_file() {
                    return Err(refused("not a regular file"));
                }
                (canonical, true)
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let parent = candidate.parent().ok_or_else(not_found)?;
                let canonical_parent = parent.canonicalize().map_err(|_| not_found())?;
                if !canonical_parent.starts_with(&location.directory) {
                    return Err(refused("it leads out of its root"));
                }
                let file_name = segments.last().expect("at least one segment");
                (canonical_parent.join(file_name), false)
            }
            Err(error) => {
                return Err(FilesError::Io {
                    action: "inspect",
                    path: candidate.display().to_string(),
                    reason: error.to_string(),
                });
            }
        };
        let kind = file_kind(&absolute)
            .filter(|kind| root.kinds.contains(kind))
            .ok_or_else(|| refused("this kind of file is not editable in its root"))?;
        let requested_kind = FileKind::of_file_name(segments.last().expect("one segment"));
        if requested_kind != Some(kind) {
            return Err(refused("its name and the file it leads to differ in kind"));
        }
        Ok(ResolvedFile {
            root: root.name.clone(),
            relative: segments.join("/"),
            absolute,
            kind,
            csv_schema: root.csv_schema,
            exists,
        })
    }

    /// Every root with the files in it that the editors may open.
    pub fn list(&self) -> Vec<ListedRoot> {
        self.config
            .roots
            .iter()
            .map(|root| {
                let location = locate_root(root);
                let files = match &location {
                    None => Vec::new(),
                    Some(location) => list_root(root, location),
                };
                ListedRoot {
                    name: root.name.clone(),
                    kinds: root.kinds.clone(),
                    csv_schema: root.csv_schema,
                    single_file: location
                        .as_ref()
                        .is_some_and(|location| location.single_file.is_some()),
                    files,
                }
            })
            .collect()
    }
}

/// Splits a requested path into plain segments, refusing anything that is not one.
pub fn plain_relative_segments(relative: &str) -> Result<Vec<&str>, FilesError> {
    let refused = |reason: &str| FilesError::Refused {
        path: relative.escape_debug().to_string(),
        reason: reason.to_string(),
    };
    if relative.is_empty() {
        return Err(refused("empty path"));
    }
    if relative.len() > MAX_PATH_BYTES {
        return Err(refused("longer than 400 bytes"));
    }
    if relative.contains('\0') {
        return Err(refused("it contains a NUL byte"));
    }
    if relative.chars().any(char::is_control) {
        return Err(refused("it contains a control character"));
    }
    if relative.starts_with('/') || relative.starts_with('~') {
        return Err(refused("absolute paths are not accepted"));
    }
    if relative.contains('\\') {
        return Err(refused("backslashes are not accepted"));
    }
    if relative.contains('%') {
        return Err(refused("percent-encoded characters are not accepted"));
    }
    let segments: Vec<&str> = relative.split('/').collect();
    for segment in &segments {
        match *segment {
            "" => return Err(refused("empty path segment")),
            "." | ".." => return Err(refused("`.` and `..` are not accepted")),
            hidden if hidden.starts_with('.') => {
                return Err(refused("hidden names are not accepted"));
            }
            _ => {}
        }
    }
    Ok(segments)
}

fn file_kind(path: &Path) -> Option<FileKind> {
    FileKind::of_file_name(path.file_name()?.to_str()?)
}

/// The canonical directory of a root; `None` when it does not exist.
fn locate_root(root: &FileRootConfig) -> Option<RootLocation> {
    let is_directory = root.path.is_dir();
    if is_directory {
        return Some(RootLocation {
            directory: root.path.canonicalize().ok()?,
            single_file: None,
        });
    }
    // A one-file root: an existing file, or the name of one to create.
    let file_name = root.path.file_name()?.to_str()?.to_string();
    FileKind::of_file_name(&file_name)?;
    let parent = match root.path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    Some(RootLocation {
        directory: parent.canonicalize().ok()?,
        single_file: Some(file_name),
    })
}

fn listed_file(path: String, kind: FileKind, metadata: Option<std::fs::Metadata>) -> ListedFile {
    let modified_ms = metadata
        .as_ref()
        .and_then(|metadata| metadata.modified().ok())
        .and_then(|time| time.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|duration| duration.as_millis() as i64)
        .unwrap_or(0);
    ListedFile {
        path,
        kind,
        size: metadata
            .as_ref()
            .map(|metadata| metadata.len())
            .unwrap_or(0),
        modified_ms,
        exists: metadata.is_some(),
    }
}

fn list_root(root: &FileRootConfig, location: &RootLocation) -> Vec<ListedFile> {
    if let Some(file_name) = &location.single_file {
        let Some(kind) = FileKind::of_file_name(file_name).filter(|kind| root.kinds.contains(kind))
        else {
            return Vec::new();
        };
        let path = location.directory.join(file_name);
        let inside = path
            .canonicalize()
            .map(|canonical| canonical.starts_with(&location.directory) && canonical.is_file());
        let metadata = match inside {
            Ok(true) => std::fs::metadata(&path).ok(),
            Ok(false) => return Vec::new(),
            Err(_) => None,
        };
        return vec![listed_file(file_name.clone(), kind, metadata)];
    }
    let mut files = Vec::new();
    walk(
        root,
        &location.directory,
        &location.directory,
        "",
        0,
        &mut files,
    );
    files.sort_by(|left, right| left.path.cmp(&right.path));
    files
}

fn walk(
    root: &FileRootConfig,
    root_directory: &Path,
    directory: &Path,
    prefix: &str,
    depth: usize,
    files: &mut Vec<ListedFile>,
) {
    let Ok(entries) = std::fs::read_dir(directory) else {
        return;
    };
    for entry in entries.flatten() {
        if files.len() >= MAX_LISTED_FILES {
            return;
        }
        let Some(name) = entry.file_name().to_str().map(str::to_string) else {
            continue;
        };
        if name.starts_with('.') || plain_relative_segments(&name).is_err() {
            continue;
        }
        let path = entry.path();
        let Ok(canonical) = path.canonicalize() else {
            continue;
        };
        if !canonical.starts_with(root_directory) {
            continue;
        }
        let relative = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}/{name}")
        };
        let is_symlink = entry
            .file_type()
            .is_ok_and(|file_type| file_type.is_symlink());
        if canonical.is_dir() {
            if !is_symlink && depth < MAX_LIST_DEPTH {
                walk(root, root_directory, &path, &relative, depth + 1, files);
            }
            continue;
        }
        let Some(kind) = FileKind::of_file_name(&name).filter(|kind| root.kinds.contains(kind))
        else {
            continue;
        };
        if file_kind(&canonical) != Some(kind) {
            continue;
        }
        files.push(listed_file(
            relative,
            kind,
            std::fs::metadata(&canonical).ok(),
        ));
    }
}
