//! Validation of Telegraf TOML against the option reference: the file parses, every plugin
//! is known, every option is documented for its section with a fitting type, and the options
//! Detectviz relies on are present. The result is a report with one finding per problem,
//! each naming the field's path (`inputs.snmp[0].field[2].oid`).

use std::fmt;

use crate::reference::{OptionKind, TelegrafReference};

/// Top-level tables Telegraf knows besides plugins; their contents are not checked here.
const UNCHECKED_TOP_LEVEL_TABLES: &[&str] = &[
    "agent",
    "global_tags",
    "secretstores",
    "processors",
    "aggregators",
];

/// Sub-tables whose keys are free-form (tag names, header names).
const FREE_FORM_TABLES: &[&str] = &[
    "tags",
    "headers",
    "http_headers",
    "http_header_tags",
    "body_form",
];

/// Options that must be present for a block to make sense.
const REQUIRED_OPTIONS: &[(&str, &[&str])] = &[
    ("inputs.snmp", &["agents"]),
    ("inputs.snmp.field", &["oid"]),
    ("inputs.snmp.table.field", &["oid"]),
    ("inputs.modbus", &["controller"]),
    ("inputs.modbus.request", &["register", "fields"]),
    ("inputs.modbus.request.fields", &["address", "name"]),
    ("inputs.net_response", &["protocol", "address"]),
];

/// One problem found in one place.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldFinding {
    /// `inputs.snmp[0].table[0].field[1].oid`, or `(document)` for parse errors.
    pub path: String,
    pub message: String,
}

impl fmt::Display for FieldFinding {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}: {}", self.path, self.message)
    }
}

/// The outcome of validating one file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ValidationReport {
    pub file_name: String,
    /// Number of options checked and found fine.
    pub checked_options: usize,
    pub findings: Vec<FieldFinding>,
}

impl ValidationReport {
    pub fn is_valid(&self) -> bool {
        self.findings.is_empty()
    }

    /// All findings on one line, for error messages.
    pub fn summary(&self) -> String {
        self.findings
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Validate `text` (the contents of `file_name`) against `reference`.
pub fn validate_telegraf_toml(
    file_name: &str,
    text: &str,
    reference: &TelegrafReference,
) -> ValidationReport {
    let mut report = ValidationReport {
        file_name: file_name.to_string(),
        checked_options: 0,
        findings: Vec::new(),
    };
    let document: toml::Table = match toml::from_str(text) {
        Ok(document) => document,
        Err(error) => {
            report.findings.push(FieldFinding {
                path: "(document)".into(),
                message: format!(
                    "not valid TOML: {}",
                    error.to_string().trim().replace('\n', " ")
                ),
            });
            return report;
        }
    };
    for (top_level_key, value) in &document {
        if UNCHECKED_TOP_LEVEL_TABLES.contains(&top_level_key.as_str()) {
            continue;
        }
        if !matches!(top_level_key.as_str(), "inputs" | "outputs") {
            report.findings.push(FieldFinding {
                path: top_level_key.clone(),
                message: "not a Telegraf configuration table".into(),
            });
            continue;
        }
        let Some(plugins) = value.as_table() else {
            report.findings.push(FieldFinding {
                path: top_level_key.clone(),
                message: "must be a table of plugins".into(),
            });
            continue;
        };
        for (plugin_name, instances) in plugins {
            let section = format!("{top_level_key}.{plugin_name}");
            if !reference.has_section(&section) {
                report.findings.push(FieldFinding {
                    path: section,
                    message: "plugin is not in the Telegraf reference".into(),
                });
                continue;
            }
            check_instances(&section, &section, instances, reference, &mut report);
        }
    }
    report
}

/// A section value is one table or an array of tables; check each.
fn check_instances(
    section: &str,
    path: &str,
    value: &toml::Value,
    reference: &TelegrafReference,
    report: &mut ValidationReport,
) {
    match value {
        toml::Value::Table(table) => check_table(section, path, table, reference, report),
        toml::Value::Array(elements) => {
            for (index, element) in elements.iter().enumerate() {
                let element_path = format!("{path}[{index}]");
                match element {
                    toml::Value::Table(table) => {
                        check_table(section, &element_path, table, reference, report)
                    }
                    _ => report.findings.push(FieldFinding {
                        path: element_path,
                        message: "must be a table".into(),
                    }),
                }
            }
        }
        _ => report.findings.push(FieldFinding {
            path: path.to_string(),
            message: "must be a table or an array of tables".into(),
        }),
    }
}

fn check_table(
    section: &str,
    path: &str,
    table: &toml::Table,
    reference: &TelegrafReference,
    report: &mut ValidationReport,
) {
    for (option, value) in table {
        let option_path = format!("{path}.{option}");
        let nested_section = format!("{section}.{option}");
        if FREE_FORM_TABLES.contains(&option.as_str()) && value.is_table() {
            report.checked_options += 1;
            continue;
        }
        let is_table_like = value.is_table()
            || value.as_array().is_some_and(|elements| {
                !elements.is_empty() && elements.iter().all(toml::Value::is_table)
            });
        if is_table_like && reference.has_section(&nested_section) {
            report.checked_options += 1;
            check_instances(&nested_section, &option_path, value, reference, report);
            continue;
        }
        let Some(documented_kind) = reference.option_kind(section, option) else {
            report.findings.push(FieldFinding {
                path: option_path,
                message: format!("`{option}` is not a documented option of {section} (unknown options stop Telegraf)"),
            });
            continue;
        };
        let actual_kind = OptionKind::of_value(value);
        if !documented_kind.accepts(actual_kind) {
            report.findings.push(FieldFinding {
                path: option_path,
                message: format!("expected a {documented_kind:?} value, found {actual_kind:?}"),
            });
            continue;
        }
        if let Some(since) = reference.option_too_new(section, option) {
            let installed = reference
                .installed_version()
                .map(|version| version.to_string())
                .unwrap_or_default();
            report.findings.push(FieldFinding {
                path: option_path,
                message: format!(
                    "`{option}` needs Telegraf {since}; the configured version is {installed}"
                ),
            });
            continue;
        }
        report.checked_options += 1;
    }
    let required = REQUIRED_OPTIONS
        .iter()
        .find(|(required_section, _)| *required_section == section)
        .map(|(_, options)| *options)
        .unwrap_or_default();
    for option in required {
        if !table.contains_key(*option) {
            report.findings.push(FieldFinding {
                path: format!("{path}.{option}"),
                message: "required option is missing".into(),
            });
        }
    }
}
