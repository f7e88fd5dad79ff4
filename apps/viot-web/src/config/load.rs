//! Reading, parsing and validating a config file, with environment overrides.
//!
//! Errors name the file, the line and column, and the dotted key (`server.listen`); an
//! override from the environment names the variable instead.

use std::path::Path;

use super::Config;

/// Environment variables `DETECTVIZ_<SECTION>__<KEY>` override keys of the file.
pub const ENV_PREFIX: &str = "DETECTVIZ_";

/// Why a configuration could not be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "config file {path} not found: create it with `detectviz config-template > {path}` and edit it, or pass --config <file>"
    )]
    NotFound { path: String },
    #[error("cannot read config file {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("{path}:{line}:{column}: key `{key}`: {message}")]
    Invalid {
        path: String,
        line: usize,
        column: usize,
        key: String,
        message: String,
    },
    #[error("environment variable {variable}: {message}")]
    Environment { variable: String, message: String },
}

/// Reads `path`, applies `DETECTVIZ_*` overrides from the process environment, validates.
pub fn load_config(path: &Path) -> Result<Config, ConfigError> {
    let label = path.display().to_string();
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Err(ConfigError::NotFound { path: label });
        }
        Err(error) => {
            return Err(ConfigError::Read {
                path: label,
                reason: error.to_string(),
            });
        }
    };
    let overrides: Vec<(String, String)> = std::env::vars()
        .filter(|(name, _)| is_override_variable(name))
        .collect();
    load_config_text(&label, &text, &overrides)
}

/// Parses and validates config text; `path` only labels errors. `overrides` are
/// `(DETECTVIZ_SECTION__KEY, value)` pairs applied in order.
pub fn load_config_text(
    path: &str,
    text: &str,
    overrides: &[(String, String)],
) -> Result<Config, ConfigError> {
    let mut config: Config =
        toml::from_str(text).map_err(|error| invalid_at(path, text, &error))?;
    if !overrides.is_empty() {
        config = apply_overrides(text, overrides)?;
    }
    if let Err(invalid) = config.validate() {
        if let Some(variable) = overrides
            .iter()
            .find(|(name, _)| override_key(name) == invalid.key)
        {
            return Err(ConfigError::Environment {
                variable: variable.0.clone(),
                message: invalid.message,
            });
        }
        let (line, column) = locate_key(text, &invalid.key).unwrap_or((0, 0));
        return Err(ConfigError::Invalid {
            path: path.to_string(),
            line,
            column,
            key: invalid.key,
            message: invalid.message,
        });
    }
    Ok(config)
}

fn is_override_variable(name: &str) -> bool {
    name.strip_prefix(ENV_PREFIX)
        .is_some_and(|rest| rest.contains("__"))
}

/// `DETECTVIZ_STORE__URL` → `store.url`.
fn override_key(variable: &str) -> String {
    let rest = variable.strip_prefix(ENV_PREFIX).unwrap_or(variable);
    rest.split("__")
        .map(str::to_ascii_lowercase)
        .collect::<Vec<_>>()
        .join(".")
}

/// Applies overrides one at a time so that a bad one is named exactly.
fn apply_overrides(text: &str, overrides: &[(String, String)]) -> Result<Config, ConfigError> {
    let mut table: toml::Table = toml::from_str(text).expect("text already parsed as a config");
    let mut config = Config::default();
    for (variable, raw_value) in overrides {
        let environment_error = |message: String| ConfigError::Environment {
            variable: variable.clone(),
            message,
        };
        let key = override_key(variable);
        let path: Vec<&str> = key.split('.').collect();
        let (last, sections) = path.split_last().expect("split always yields one part");
        let mut current = &mut table;
        for section in sections {
            let entry = current
                .entry(section.to_string())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            let Some(inner) = entry.as_table_mut() else {
                return Err(environment_error(format!("`{section}` is not a section")));
            };
            current = inner;
        }
        current.insert(last.to_string(), parse_override_value(raw_value));
        config =
            toml::Value::Table(table.clone())
                .try_into()
                .map_err(|error: toml::de::Error| {
                    environment_error(format!("key `{key}`: {}", error.message()))
                })?;
    }
    Ok(config)
}

/// A value is read as TOML (`30`, `true`, `"quoted"`) and otherwise taken as a string.
fn parse_override_value(raw_value: &str) -> toml::Value {
    let parsed: Result<toml::Table, _> = toml::from_str(&format!("value = {raw_value}"));
    match parsed {
        Ok(mut table) => table
            .remove("value")
            .unwrap_or_else(|| toml::Value::String(raw_value.into())),
        Err(_) => toml::Value::String(raw_value.to_string()),
    }
}

fn invalid_at(path: &str, text: &str, error: &toml::de::Error) -> ConfigError {
    let offset = error.span().map(|span| span.start).unwrap_or(0);
    let (line, column) = line_and_column(text, offset);
    ConfigError::Invalid {
        path: path.to_string(),
        line,
        column,
        key: key_at_line(text, line),
        message: error.message().trim().to_string(),
    }
}

fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map(|tail| tail.chars().count())
        .unwrap_or(0)
        + 1;
    (line, column)
}

/// The dotted key defined on a (1-based) line: its section header plus the key before `=`.
fn key_at_line(text: &str, line_number: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let Some(line) = lines.get(line_number.saturating_sub(1)) else {
        return "?".into();
    };
    if let Some(header) = section_header(line) {
        return header.to_string();
    }
    let section = lines[..line_number.saturating_sub(1)]
        .iter()
        .rev()
        .find_map(|line| section_header(line));
    let key = line
        .split('=')
        .next()
        .unwrap_or("")
        .trim()
        .trim_matches('"');
    match (section, key.is_empty()) {
        (Some(section), false) => format!("{section}.{key}"),
        (Some(section), true) => section.to_string(),
        (None, false) => key.to_string(),
        (None, true) => "?".into(),
    }
}

fn section_header(line: &str) -> Option<&str> {
    let trimmed = line.trim();
    let inner = trimmed.strip_prefix('[')?.split(']').next()?;
    Some(inner.trim_matches(['[', ' ']))
}

/// Finds the line and column where a dotted key (`server.listen`) is set.
fn locate_key(text: &str, dotted_key: &str) -> Option<(usize, usize)> {
    let (section, key) = dotted_key.rsplit_once('.').unwrap_or(("", dotted_key));
    let mut current_section = "";
    for (index, line) in text.lines().enumerate() {
        if let Some(header) = section_header(line) {
            current_section = header;
            continue;
        }
        let Some((name, _)) = line.split_once('=') else {
            continue;
        };
        if current_section == section && name.trim() == key {
            let column = line.len() - line.trim_start().len() + 1;
            return Some((index + 1, column));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "[server]\nlisten = \"127.0.0.1:9000\"\n\n[log]\nlevel = \"debug\"\n";

    fn overrides(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect()
    }

    #[test]
    fn a_valid_file_loads_with_defaults_for_missing_keys() {
        let config = load_config_text("test.conf", GOOD, &[]).unwrap();
        assert_eq!(config.server.listen, "127.0.0.1:9000");
        assert_eq!(config.log.level, "debug");
        assert_eq!(config.server.request_timeout_s, 30);
    }

    #[test]
    fn an_unknown_key_names_file_line_and_key() {
        let text = "[server]\nlisten = \"127.0.0.1:9000\"\n\n[log]\nlevle = \"debug\"\n";
        let error = load_config_text("broken.conf", text, &[]).unwrap_err();
        let message = error.to_string();
        assert!(message.starts_with("broken.conf:5:"), "{message}");
        assert!(message.contains("key `log.levle`"), "{message}");
        assert!(message.contains("unknown field"), "{message}");
    }

    #[test]
    fn an_unknown_section_is_named() {
        let error = load_config_text("broken.conf", "[sever]\nlisten = \"x\"\n", &[]).unwrap_err();
        assert!(error.to_string().contains("broken.conf:1:"), "{error}");
        assert!(error.to_string().contains("`sever`"), "{error}");
    }

    #[test]
    fn a_wrong_type_names_file_line_and_key() {
        let text = "[server]\nlisten = \"127.0.0.1:9000\"\nrequest_timeout_s = \"soon\"\n";
        let error = load_config_text("broken.conf", text, &[]).unwrap_err();
        let message = error.to_string();
        assert!(message.starts_with("broken.conf:3:"), "{message}");
        assert!(
            message.contains("key `server.request_timeout_s`"),
            "{message}"
        );
    }

    #[test]
    fn a_bad_value_names_its_line() {
        let text = "[log]\nlevel = \"info\"\n\n[server]\nlisten = \"not an address\"\n";
        let error = load_config_text("broken.conf", text, &[]).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("broken.conf:5:1: key `server.listen`"),
            "{error}"
        );
    }

    #[test]
    fn a_syntax_error_names_its_line() {
        let error = load_config_text("broken.conf", "[server]\nlisten = \n", &[]).unwrap_err();
        assert!(error.to_string().starts_with("broken.conf:2:"), "{error}");
    }

    #[test]
    fn environment_overrides_replace_file_values_with_typed_values() {
        let config = load_config_text(
            "test.conf",
            GOOD,
            &overrides(&[
                ("DETECTVIZ_SERVER__LISTEN", "0.0.0.0:8181"),
                ("DETECTVIZ_SERVER__REQUEST_TIMEOUT_S", "5"),
                ("DETECTVIZ_STORE__URL", "mysql://root@127.0.0.1:3306/test"),
            ]),
        )
        .unwrap();
        assert_eq!(config.server.listen, "0.0.0.0:8181");
        assert_eq!(config.server.request_timeout_s, 5);
        assert_eq!(config.store.url, "mysql://root@127.0.0.1:3306/test");
        assert_eq!(
            config.log.level, "debug",
            "keys without an override keep the file's value"
        );
    }

    #[test]
    fn a_bad_environment_override_names_the_variable() {
        let error = load_config_text(
            "test.conf",
            GOOD,
            &overrides(&[("DETECTVIZ_SERVER__LISTN", "0.0.0.0:1")]),
        )
        .unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("environment variable DETECTVIZ_SERVER__LISTN"),
            "{error}"
        );

        let error = load_config_text(
            "test.conf",
            GOOD,
            &overrides(&[("DETECTVIZ_SERVER__LISTEN", "nowhere")]),
        )
        .unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("environment variable DETECTVIZ_SERVER__LISTEN"),
            "{error}"
        );
    }

    #[test]
    fn a_missing_file_says_how_to_create_one() {
        let error = load_config(Path::new("/nonexistent/detectviz.conf")).unwrap_err();
        assert!(matches!(error, ConfigError::NotFound { .. }));
        assert!(
            error
                .to_string()
                .contains("detectviz config-template > /nonexistent/detectviz.conf"),
            "{error}"
        );
    }
}
