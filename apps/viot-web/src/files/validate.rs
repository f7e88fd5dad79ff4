//! Checks a file's new content before it is saved: YAML, TOML and JSON must parse (problems
//! carry line and column), CSV must follow its root's schema (problems carry line, row and
//! column), `detectviz.conf` must also be a valid Detectviz configuration and `pages.yaml` a
//! valid console page list.

use serde::{Deserialize, Serialize};

use super::{CsvSchema, FileKind, csv_check};

/// One reason a content cannot be saved. Lines, columns and rows count from 1.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileProblem {
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// CSV only: the data row (the header is row 0).
    pub row: Option<usize>,
    /// CSV only: the column's name from the header.
    pub field: Option<String>,
    pub message: String,
}

impl FileProblem {
    pub fn message(message: String) -> FileProblem {
        FileProblem {
            line: None,
            column: None,
            row: None,
            field: None,
            message,
        }
    }

    pub fn at(line: usize, column: usize, message: String) -> FileProblem {
        FileProblem {
            line: Some(line),
            column: Some(column),
            ..FileProblem::message(message)
        }
    }

    /// A problem in CSV data row `row` (1-based), in column `column` (0-based index) if known.
    pub fn in_row(
        line: usize,
        row: usize,
        column: Option<usize>,
        header: &[String],
        message: String,
    ) -> FileProblem {
        FileProblem {
            line: Some(line),
            column: column.map(|index| index + 1),
            row: Some(row),
            field: column.and_then(|index| header.get(index).cloned()),
            message,
        }
    }
}

/// Every problem of `content` for a file of `kind` named `file_name`; empty when it may be saved.
pub fn validate_content(
    kind: FileKind,
    csv_schema: CsvSchema,
    file_name: &str,
    content: &str,
) -> Vec<FileProblem> {
    let problems = match kind {
        FileKind::Yaml => check_yaml(content),
        FileKind::Toml => check_toml(content),
        FileKind::Json => check_json(content),
        FileKind::Csv => csv_check::check_csv(content, csv_schema),
        FileKind::Text => Vec::new(),
    };
    if !problems.is_empty() {
        return problems;
    }
    if kind == FileKind::Toml && file_name == "detectviz.conf" {
        return check_detectviz_config(content);
    }
    if kind == FileKind::Yaml && file_name == "pages.yaml" {
        return check_page_list(content);
    }
    Vec::new()
}

/// The console's page list: the shape `console::pages::PageList` reads (unknown keys refused).
fn check_page_list(content: &str) -> Vec<FileProblem> {
    match serde_norway::from_str::<crate::console::pages::PageList>(content) {
        Ok(_) => Vec::new(),
        Err(error) => vec![yaml_problem(&error)],
    }
}

fn yaml_problem(error: &serde_norway::Error) -> FileProblem {
    match error.location() {
        Some(location) => FileProblem::at(location.line(), location.column(), error.to_string()),
        None => FileProblem::message(error.to_string()),
    }
}

fn check_yaml(content: &str) -> Vec<FileProblem> {
    for document in serde_norway::Deserializer::from_str(content) {
        if let Err(error) = serde_norway::Value::deserialize(document) {
            return vec![yaml_problem(&error)];
        }
    }
    Vec::new()
}

fn check_toml(content: &str) -> Vec<FileProblem> {
    let Err(error) = toml::from_str::<toml::Table>(content) else {
        return Vec::new();
    };
    let message = error.message().to_string();
    match error.span() {
        Some(span) => {
            let (line, column) = line_and_column(content, span.start);
            vec![FileProblem::at(line, column, message)]
        }
        None => vec![FileProblem::message(message)],
    }
}

fn check_json(content: &str) -> Vec<FileProblem> {
    match serde_json::from_str::<serde_json::Value>(content) {
        Ok(_) => Vec::new(),
        Err(error) => vec![FileProblem::at(
            error.line(),
            error.column(),
            error.to_string(),
        )],
    }
}

/// The Detectviz configuration itself: the same checks `detectviz check-config` runs.
fn check_detectviz_config(content: &str) -> Vec<FileProblem> {
    match crate::config::load_config_text("detectviz.conf", content, &[]) {
        Ok(_) => Vec::new(),
        Err(crate::config::ConfigError::Invalid {
            line,
            column,
            key,
            message,
            ..
        }) => vec![FileProblem::at(
            line,
            column,
            format!("key `{key}`: {message}"),
        )],
        Err(other) => vec![FileProblem::message(other.to_string())],
    }
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
pub fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |index| index + 1);
    (line, before[line_start..].chars().count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first(kind: FileKind, name: &str, content: &str) -> FileProblem {
        let problems = validate_content(kind, CsvSchema::None, name, content);
        assert_eq!(problems.len(), 1, "{problems:?}");
        problems.into_iter().next().unwrap()
    }

    #[test]
    fn parse_errors_name_their_line_and_column() {
        let toml = first(
            FileKind::Toml,
            "a.toml",
            "[server]\nlisten = \"x\"\nport = = 3\n",
        );
        assert_eq!((toml.line, toml.column), (Some(3), Some(8)), "{toml:?}");
        let yaml = first(FileKind::Yaml, "a.yaml", "pages:\n  - name: a\n   bad: [\n");
        assert!(yaml.line.is_some_and(|line| line >= 3), "{yaml:?}");
        let json = first(FileKind::Json, "a.json", "{\n  \"a\": 1,\n  \"b\": }\n");
        assert_eq!((json.line, json.column), (Some(3), Some(8)), "{json:?}");
        let csv = first(FileKind::Csv, "a.csv", "a,b\n1,2\n3\n");
        assert_eq!((csv.line, csv.row), (Some(3), Some(2)), "{csv:?}");
    }

    #[test]
    fn valid_files_and_text_have_no_problems() {
        let cases = [
            (FileKind::Toml, "a.toml", "a = 1\n[b]\nc = \"d\"\n"),
            (FileKind::Yaml, "a.yaml", "a: 1\n---\nb: [1, 2]\n"),
            (FileKind::Json, "a.json", "{\"a\": [1, 2]}"),
            (FileKind::Text, "a.txt", "anything { at all"),
        ];
        for (kind, name, content) in cases {
            assert_eq!(validate_content(kind, CsvSchema::None, name, content), []);
        }
    }

    #[test]
    fn the_shipped_page_list_passes_and_an_unknown_key_is_refused_with_its_line() {
        let shipped = include_str!("../../../../conf/pages.yaml");
        assert_eq!(
            validate_content(FileKind::Yaml, CsvSchema::None, "pages.yaml", shipped),
            []
        );
        let problem = first(
            FileKind::Yaml,
            "pages.yaml",
            "pages:\n  - name: home\n    group: monitor\n    colour: red\n",
        );
        assert!(problem.message.contains("colour"), "{problem:?}");
        assert_eq!(problem.line, Some(4), "{problem:?}");
    }

    #[test]
    fn the_detectviz_configuration_is_checked_beyond_its_syntax() {
        let problem = first(
            FileKind::Toml,
            "detectviz.conf",
            "[server]\nlisten = \"not an address\"\n",
        );
        assert!(problem.message.contains("server.listen"), "{problem:?}");
        let unknown = first(FileKind::Toml, "detectviz.conf", "[server]\nlisen = 1\n");
        assert_eq!(unknown.line, Some(2), "{unknown:?}");
        assert!(
            validate_content(
                FileKind::Toml,
                CsvSchema::None,
                "other.conf",
                "[server]\nlisen = 1\n"
            )
            .is_empty()
        );
    }
}
