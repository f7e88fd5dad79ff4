//! Database URL handling: which backend a URL selects, password redaction for messages, and
//! preparing SQLite URLs so the file (and its directory) is created on first run.

use std::path::Path;

use crate::StoreError;

/// The database backend a [`crate::Store`] runs on, chosen at run time from the URL scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// `sqlite://path/to/file.db` (embedded default).
    Sqlite,
    /// `mysql://user:password@host:port/database` (also `mariadb://`).
    MySql,
}

impl Backend {
    /// Picks the backend from the URL scheme, or `None` for anything else.
    pub fn from_url(url: &str) -> Option<Backend> {
        let scheme = url.split_once(':')?.0.to_ascii_lowercase();
        match scheme.as_str() {
            "sqlite" => Some(Backend::Sqlite),
            "mysql" | "mariadb" => Some(Backend::MySql),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::MySql => "mysql",
        }
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// Replaces the password in a URL with `***` (`mysql://root:***@host/db`), also in a
/// `password=` query parameter. URLs without a password are returned unchanged.
pub fn redact_url(url: &str) -> String {
    let without_query_password = redact_password_query_parameter(url);
    let Some((scheme, rest)) = without_query_password.split_once("://") else {
        return without_query_password;
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path_and_query) = rest.split_at(authority_end);
    let Some((user_information, host)) = authority.rsplit_once('@') else {
        return without_query_password;
    };
    let Some((user, _password)) = user_information.split_once(':') else {
        return without_query_password;
    };
    format!("{scheme}://{user}:***@{host}{path_and_query}")
}

fn redact_password_query_parameter(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_string();
    };
    let redacted_parameters: Vec<String> = query
        .split('&')
        .map(|parameter| match parameter.split_once('=') {
            Some((name, _)) if name.eq_ignore_ascii_case("password") => format!("{name}=***"),
            _ => parameter.to_string(),
        })
        .collect();
    format!("{base}?{}", redacted_parameters.join("&"))
}

/// Creates the parent directory of a SQLite file and returns the URL with `mode=rwc` added
/// (unless the URL already sets a mode), so the database file is created on first run.
pub(crate) fn prepare_sqlite_url(url: &str) -> Result<String, StoreError> {
    let after_scheme = url
        .split_once(':')
        .map(|(_, rest)| rest)
        .unwrap_or_default();
    let (path_part, query) = match after_scheme.split_once('?') {
        Some((path_part, query)) => (path_part, Some(query)),
        None => (after_scheme, None),
    };
    let file_path = path_part.strip_prefix("//").unwrap_or(path_part);
    let is_in_memory = file_path.is_empty() || file_path == ":memory:";
    let sets_mode = query.is_some_and(|query| {
        query
            .split('&')
            .any(|parameter| parameter.starts_with("mode="))
    });
    if !is_in_memory && !sets_mode {
        create_parent_directory(url, Path::new(file_path))?;
    }
    if is_in_memory || sets_mode {
        return Ok(url.to_string());
    }
    let separator = if query.is_some() { '&' } else { '?' };
    Ok(format!("{url}{separator}mode=rwc"))
}

fn create_parent_directory(url: &str, file_path: &Path) -> Result<(), StoreError> {
    let Some(parent) = file_path.parent() else {
        return Ok(());
    };
    if parent.as_os_str().is_empty() || parent.exists() {
        return Ok(());
    }
    std::fs::create_dir_all(parent).map_err(|error| StoreError::Unreachable {
        url: redact_url(url),
        reason: format!("cannot create directory {}: {error}", parent.display()),
    })
}

/// Returns `url` with its database name (the path) replaced by `database_name`, keeping any
/// query string: `mysql://root@host:3306/test?x=1` → `mysql://root@host:3306/other?x=1`.
#[cfg(feature = "testing")]
pub(crate) fn with_database_name(url: &str, database_name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let (scheme, rest) = base.split_once("://").unwrap_or(("mysql", base));
    let authority = rest.split('/').next().unwrap_or(rest);
    match query {
        Some(query) => format!("{scheme}://{authority}/{database_name}?{query}"),
        None => format!("{scheme}://{authority}/{database_name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_password_in_authority_and_query() {
        assert_eq!(
            redact_url("mysql://root:secret@db:3306/detectviz"),
            "mysql://root:***@db:3306/detectviz"
        );
        assert_eq!(
            redact_url("mysql://root:p@ss@db/x?password=hunter2&ssl-mode=disabled"),
            "mysql://root:***@db/x?password=***&ssl-mode=disabled"
        );
        assert_eq!(
            redact_url("mysql://root@127.0.0.1/test"),
            "mysql://root@127.0.0.1/test"
        );
        assert_eq!(
            redact_url("sqlite://data/detectviz.db"),
            "sqlite://data/detectviz.db"
        );
    }

    #[test]
    fn picks_backend_from_scheme() {
        assert_eq!(
            Backend::from_url("sqlite://data/x.db"),
            Some(Backend::Sqlite)
        );
        assert_eq!(Backend::from_url("sqlite::memory:"), Some(Backend::Sqlite));
        assert_eq!(Backend::from_url("MySQL://h/db"), Some(Backend::MySql));
        assert_eq!(Backend::from_url("mariadb://h/db"), Some(Backend::MySql));
        assert_eq!(Backend::from_url("postgres://h/db"), None);
        assert_eq!(Backend::from_url("nonsense"), None);
    }

    #[test]
    fn sqlite_url_gains_create_mode() {
        let directory = std::env::temp_dir().join(format!("dv-url-{}", std::process::id()));
        let url = format!("sqlite://{}/nested/x.db", directory.display());
        let prepared = prepare_sqlite_url(&url).expect("prepare");
        assert_eq!(prepared, format!("{url}?mode=rwc"));
        assert!(directory.join("nested").is_dir());
        std::fs::remove_dir_all(&directory).expect("cleanup");
        assert_eq!(
            prepare_sqlite_url("sqlite::memory:").expect("memory"),
            "sqlite::memory:"
        );
        assert_eq!(
            prepare_sqlite_url("sqlite://x.db?mode=ro").expect("ro"),
            "sqlite://x.db?mode=ro"
        );
    }
}
