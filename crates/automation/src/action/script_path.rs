//! Confining scripts to the scripts directory.
//!
//! A script name is a relative path of plain components: absolute paths, `..` and `.` are
//! refused before the filesystem is touched. The joined path is then canonicalized (following
//! every symlink) and must still lie inside the canonical scripts directory, so a symlink that
//! points out of the directory is refused too. The check runs again right before each run,
//! because the directory may change after the configuration was loaded.

use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};

/// The canonical scripts directory, or why it cannot be used.
pub fn canonical_scripts_dir(scripts_dir: &Path) -> Result<PathBuf, String> {
    let canonical = scripts_dir.canonicalize().map_err(|error| {
        format!(
            "scripts directory `{}` cannot be opened: {error}",
            scripts_dir.display()
        )
    })?;
    if !canonical.is_dir() {
        return Err(format!(
            "scripts directory `{}` is not a directory",
            scripts_dir.display()
        ));
    }
    Ok(canonical)
}

/// Resolves `script` inside `canonical_root` to an executable regular file.
pub fn resolve_script(canonical_root: &Path, script: &str) -> Result<PathBuf, String> {
    if script.is_empty() {
        return Err("the script name is empty".to_string());
    }
    let relative = Path::new(script);
    for component in relative.components() {
        match component {
            Component::Normal(_) => {}
            Component::ParentDir => {
                return Err(format!("`{script}` climbs out with `..`"));
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(format!(
                    "`{script}` is absolute; name a script inside the scripts directory"
                ));
            }
            Component::CurDir => {
                return Err(format!(
                    "`{script}` contains `.`; use a plain relative name"
                ));
            }
        }
    }
    let joined = canonical_root.join(relative);
    let canonical = joined
        .canonicalize()
        .map_err(|error| format!("`{script}` cannot be found: {error}"))?;
    if !canonical.starts_with(canonical_root) {
        return Err(format!(
            "`{script}` resolves to `{}`, outside the scripts directory",
            canonical.display()
        ));
    }
    let metadata = canonical
        .metadata()
        .map_err(|error| format!("`{script}` cannot be read: {error}"))?;
    if !metadata.is_file() {
        return Err(format!("`{script}` is not a regular file"));
    }
    if metadata.permissions().mode() & 0o111 == 0 {
        return Err(format!("`{script}` is not executable"));
    }
    Ok(canonical)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::symlink;

    use super::*;

    fn write_script(path: &Path) {
        std::fs::write(path, "#!/bin/sh\nexit 0\n").unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    #[test]
    fn a_script_inside_the_directory_resolves() {
        let directory = tempfile::tempdir().unwrap();
        std::fs::create_dir(directory.path().join("pumps")).unwrap();
        write_script(&directory.path().join("pumps/restart.sh"));
        let root = canonical_scripts_dir(directory.path()).unwrap();
        let resolved = resolve_script(&root, "pumps/restart.sh").unwrap();
        assert_eq!(resolved, root.join("pumps/restart.sh"));
    }

    #[test]
    fn traversal_absolute_paths_and_dots_are_refused() {
        let directory = tempfile::tempdir().unwrap();
        let root = canonical_scripts_dir(directory.path()).unwrap();
        for (script, expected) in [
            ("../outside.sh", "climbs out"),
            ("pumps/../../outside.sh", "climbs out"),
            ("/bin/sh", "is absolute"),
            ("./restart.sh", "contains `.`"),
            ("", "empty"),
        ] {
            let error = resolve_script(&root, script).unwrap_err();
            assert!(error.contains(expected), "{script}: {error}");
        }
    }

    #[test]
    fn a_symlink_out_of_the_directory_is_refused() {
        let outside = tempfile::tempdir().unwrap();
        write_script(&outside.path().join("evil.sh"));
        let directory = tempfile::tempdir().unwrap();
        symlink(
            outside.path().join("evil.sh"),
            directory.path().join("evil.sh"),
        )
        .unwrap();
        symlink(outside.path(), directory.path().join("linked-dir")).unwrap();
        let root = canonical_scripts_dir(directory.path()).unwrap();
        for script in ["evil.sh", "linked-dir/evil.sh"] {
            let error = resolve_script(&root, script).unwrap_err();
            assert!(error.contains("outside the scripts directory"), "{error}");
        }
    }

    #[test]
    fn non_executable_and_missing_files_are_refused() {
        let directory = tempfile::tempdir().unwrap();
        std::fs::write(directory.path().join("notes.txt"), "hi").unwrap();
        let root = canonical_scripts_dir(directory.path()).unwrap();
        let error = resolve_script(&root, "notes.txt").unwrap_err();
        assert!(error.contains("not executable"), "{error}");
        let error = resolve_script(&root, "missing.sh").unwrap_err();
        assert!(error.contains("cannot be found"), "{error}");
    }
}
