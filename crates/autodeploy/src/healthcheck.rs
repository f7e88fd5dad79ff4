//! Health-check targets → Telegraf. An HTTP target (URL, method, expected status, timeout)
//! becomes one `[[inputs.http_response]]` block with `response_status_code` set, so a wrong
//! status shows as `result=response_status_code_mismatch`; a TCP target (`host:port`)
//! becomes one `[[inputs.net_response]]` block. Targets come from a CSV file
//! (`name,url,method,expected_status,timeout_seconds`, where `url` may be `tcp://host:port`);
//! CSV errors name the row and the column.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::device::is_safe_device_id;
use crate::error::AutodeployError;
use crate::generate::{GeneratedFile, MANAGED_FILE_PREFIX};
use crate::telegraf_config::{
    HttpResponseInput, NetResponseInput, TelegrafFile, render_telegraf_file,
};

/// One user-defined check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthcheckTarget {
    /// Unique name; also the base of the file name.
    pub name: String,
    pub check: HealthcheckKind,
    /// Whole seconds; Telegraf raises http_response timeouts below 1 s to 5 s, so 1 is the minimum.
    #[serde(default = "default_timeout_seconds")]
    pub timeout_seconds: u32,
}

fn default_timeout_seconds() -> u32 {
    5
}

/// What to check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum HealthcheckKind {
    Http {
        url: String,
        #[serde(default = "default_method")]
        method: String,
        #[serde(default = "default_expected_status")]
        expected_status: u16,
    },
    Tcp {
        /// `host:port`.
        address: String,
    },
}

fn default_method() -> String {
    "GET".to_string()
}

fn default_expected_status() -> u16 {
    200
}

const HTTP_METHODS: &[&str] = &["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/// The telegraf.d file name for a target: `detectviz-healthcheck-<name>.conf`.
pub fn healthcheck_file_name(target_name: &str) -> String {
    format!("{MANAGED_FILE_PREFIX}healthcheck-{target_name}.conf")
}

impl HealthcheckTarget {
    /// Check the target and build its Telegraf block.
    pub fn to_telegraf_file(&self) -> Result<TelegrafFile, AutodeployError> {
        let target_error = |reason: String| AutodeployError::HealthcheckTarget {
            target: self.name.clone(),
            reason,
        };
        if !is_safe_device_id(&self.name) {
            return Err(target_error(
                "name must use only letters, digits, `-`, `_` and `.`".into(),
            ));
        }
        if self.timeout_seconds == 0 {
            return Err(target_error("timeout must be at least 1 second".into()));
        }
        let tags = BTreeMap::from([("healthcheck".to_string(), self.name.clone())]);
        let alias = format!("healthcheck-{}", self.name);
        let mut file = TelegrafFile::default();
        match &self.check {
            HealthcheckKind::Http {
                url,
                method,
                expected_status,
            } => {
                if !(url.starts_with("http://") || url.starts_with("https://"))
                    || url.contains(char::is_whitespace)
                {
                    return Err(target_error(format!(
                        "url `{url}` must start with http:// or https://"
                    )));
                }
                let method = method.to_ascii_uppercase();
                if !HTTP_METHODS.contains(&method.as_str()) {
                    return Err(target_error(format!(
                        "method `{method}` is not one of {HTTP_METHODS:?}"
                    )));
                }
                if !(100..=599).contains(expected_status) {
                    return Err(target_error(format!(
                        "expected status {expected_status} is not 100..=599"
                    )));
                }
                file.inputs.http_response.push(HttpResponseInput {
                    alias,
                    urls: vec![url.clone()],
                    method,
                    response_timeout: format!("{}s", self.timeout_seconds),
                    follow_redirects: false,
                    response_status_code: *expected_status,
                    tags,
                });
            }
            HealthcheckKind::Tcp { address } => {
                let port_is_valid = address.rsplit_once(':').is_some_and(|(host, port)| {
                    !host.is_empty() && port.parse::<u16>().is_ok_and(|port| port > 0)
                });
                if !port_is_valid {
                    return Err(target_error(format!(
                        "address `{address}` is not host:port"
                    )));
                }
                file.inputs.net_response.push(NetResponseInput {
                    alias,
                    protocol: "tcp".to_string(),
                    address: address.clone(),
                    timeout: format!("{}s", self.timeout_seconds),
                    fieldexclude: vec!["result_type".to_string(), "string_found".to_string()],
                    tags,
                });
            }
        }
        Ok(file)
    }

    /// Build and render the target's file.
    pub fn generate_file(&self) -> Result<GeneratedFile, AutodeployError> {
        let file = self.to_telegraf_file()?;
        let header = format!(
            "Generated by Detectviz autodeploy for health-check target `{}`.\nDo not edit: the next deploy replaces this file.",
            self.name
        );
        Ok(GeneratedFile {
            file_name: healthcheck_file_name(&self.name),
            contents: render_telegraf_file(&header, &file)?,
        })
    }
}

/// The sample target list, parsed by a test.
pub const HEALTHCHECK_SAMPLE_CSV: &str = include_str!("../healthcheck_targets.sample.csv");

/// The CSV header `parse_healthcheck_csv` expects.
pub const HEALTHCHECK_CSV_HEADER: &str = "name,url,method,expected_status,timeout_seconds";

/// Parse targets from CSV text. Blank lines and lines starting with `#` are skipped; quoting
/// is not supported (no field needs a comma). For TCP targets `url` is `tcp://host:port` and
/// `method` and `expected_status` stay empty. Rows are counted from 1 with the header as row 1.
pub fn parse_healthcheck_csv(text: &str) -> Result<Vec<HealthcheckTarget>, AutodeployError> {
    let csv_error = |row: usize, column: &str, reason: String| AutodeployError::HealthcheckTarget {
        target: format!("csv row {row}, column `{column}`"),
        reason,
    };
    let mut rows = text
        .lines()
        .enumerate()
        .map(|(index, line)| (index + 1, line.trim()))
        .filter(|(_, line)| !line.is_empty() && !line.starts_with('#'));
    let Some((header_row, header)) = rows.next() else {
        return Ok(Vec::new());
    };
    let header_columns: Vec<&str> = header.split(',').map(str::trim).collect();
    if header_columns.join(",") != HEALTHCHECK_CSV_HEADER {
        return Err(csv_error(
            header_row,
            "header",
            format!("expected `{HEALTHCHECK_CSV_HEADER}`"),
        ));
    }
    let mut targets = Vec::new();
    let mut names = std::collections::BTreeSet::new();
    for (row, line) in rows {
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        if cells.len() != header_columns.len() {
            let reason = format!(
                "expected {} columns, found {}",
                header_columns.len(),
                cells.len()
            );
            return Err(csv_error(row, "(row)", reason));
        }
        let (name, url, method, expected_status, timeout) =
            (cells[0], cells[1], cells[2], cells[3], cells[4]);
        if !names.insert(name.to_string()) {
            return Err(csv_error(
                row,
                "name",
                format!("`{name}` is used by an earlier row"),
            ));
        }
        let timeout_seconds = if timeout.is_empty() {
            default_timeout_seconds()
        } else {
            timeout.parse().map_err(|_| {
                csv_error(
                    row,
                    "timeout_seconds",
                    format!("`{timeout}` is not a whole number"),
                )
            })?
        };
        let check = if let Some(address) = url.strip_prefix("tcp://") {
            HealthcheckKind::Tcp {
                address: address.to_string(),
            }
        } else {
            let expected_status = if expected_status.is_empty() {
                default_expected_status()
            } else {
                expected_status.parse().map_err(|_| {
                    csv_error(
                        row,
                        "expected_status",
                        format!("`{expected_status}` is not a number"),
                    )
                })?
            };
            let method = if method.is_empty() {
                default_method()
            } else {
                method.to_string()
            };
            HealthcheckKind::Http {
                url: url.to_string(),
                method,
                expected_status,
            }
        };
        let target = HealthcheckTarget {
            name: name.to_string(),
            check,
            timeout_seconds,
        };
        target
            .to_telegraf_file()
            .map_err(|error| csv_error(row, "(row)", error.to_string()))?;
        targets.push(target);
    }
    Ok(targets)
}

#[cfg(test)]
#[path = "healthcheck_tests.rs"]
mod healthcheck_tests;
