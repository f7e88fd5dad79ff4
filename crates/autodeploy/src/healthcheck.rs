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

/// One problem in a health-check CSV: the row (counted from 1, the header is row 1) and the
/// column it is in (`(row)` for the row as a whole).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HealthcheckCsvProblem {
    pub row: usize,
    pub column: String,
    pub message: String,
}

impl std::fmt::Display for HealthcheckCsvProblem {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            formatter,
            "row {}, column `{}`: {}",
            self.row, self.column, self.message
        )
    }
}

/// Parse targets from CSV text, stopping at the first problem (see [`check_healthcheck_csv`]).
pub fn parse_healthcheck_csv(text: &str) -> Result<Vec<HealthcheckTarget>, AutodeployError> {
    check_healthcheck_csv(text).map_err(|problems| {
        let first = &problems[0];
        AutodeployError::HealthcheckTarget {
            target: format!("csv row {}, column `{}`", first.row, first.column),
            reason: first.message.clone(),
        }
    })
}

/// Parse targets from CSV text and report every problem. Blank lines and lines starting with
/// `#` are skipped; quoting is not supported (no field needs a comma). For TCP targets `url`
/// is `tcp://host:port` (or a bare `host:port`) and `method` and `expected_status` stay empty.
pub fn check_healthcheck_csv(
    text: &str,
) -> Result<Vec<HealthcheckTarget>, Vec<HealthcheckCsvProblem>> {
    let mut problems = Vec::new();
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
        return Err(vec![HealthcheckCsvProblem {
            row: header_row,
            column: "header".to_string(),
            message: format!("expected `{HEALTHCHECK_CSV_HEADER}`"),
        }]);
    }
    let mut targets = Vec::new();
    let mut names = std::collections::BTreeSet::new();
    for (row, line) in rows {
        let mut problem = |column: &str, message: String| {
            problems.push(HealthcheckCsvProblem {
                row,
                column: column.to_string(),
                message,
            });
        };
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        if cells.len() != header_columns.len() {
            let message = format!(
                "expected {} columns, found {}",
                header_columns.len(),
                cells.len()
            );
            problem("(row)", message);
            continue;
        }
        if let Some(target) = target_from_cells(&cells, &mut problem) {
            if !names.insert(target.name.clone()) {
                problem(
                    "name",
                    format!("`{}` is used by an earlier row", target.name),
                );
                continue;
            }
            match target.to_telegraf_file() {
                Ok(_) => targets.push(target),
                Err(error) => problem("(row)", error.to_string()),
            }
        }
    }
    if problems.is_empty() {
        Ok(targets)
    } else {
        Err(problems)
    }
}

/// One row's target, or `None` after reporting each bad cell to `problem`.
fn target_from_cells(
    cells: &[&str],
    problem: &mut impl FnMut(&str, String),
) -> Option<HealthcheckTarget> {
    let (name, url, method, expected_status, timeout) =
        (cells[0], cells[1], cells[2], cells[3], cells[4]);
    let problems_before = std::cell::Cell::new(0usize);
    let mut report = |column: &str, message: String| {
        problems_before.set(problems_before.get() + 1);
        problem(column, message);
    };
    if !is_safe_device_id(name) {
        report(
            "name",
            format!("`{name}` must use only letters, digits, `-`, `_` and `.`"),
        );
    }
    let timeout_seconds = match timeout {
        "" => default_timeout_seconds(),
        text => match text.parse::<u32>() {
            Ok(seconds) if seconds >= 1 => seconds,
            _ => {
                report(
                    "timeout_seconds",
                    format!("`{text}` is not a whole number of seconds, at least 1"),
                );
                0
            }
        },
    };
    let tcp_address = url
        .strip_prefix("tcp://")
        .or_else(|| (!url.contains("://")).then_some(url));
    let check = if let Some(address) = tcp_address {
        let port_is_valid = address.rsplit_once(':').is_some_and(|(host, port)| {
            !host.is_empty() && port.parse::<u16>().is_ok_and(|port| port > 0)
        });
        if !port_is_valid {
            report(
                "url",
                format!("`{url}` is neither an http(s) URL nor tcp://host:port"),
            );
        }
        for (column, value) in [("method", method), ("expected_status", expected_status)] {
            if !value.is_empty() {
                report(column, "must stay empty for a TCP target".to_string());
            }
        }
        HealthcheckKind::Tcp {
            address: address.to_string(),
        }
    } else {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            report(
                "url",
                format!("`{url}` must start with http:// or https://"),
            );
        }
        let method = match method {
            "" => default_method(),
            text => text.to_ascii_uppercase(),
        };
        if !HTTP_METHODS.contains(&method.as_str()) {
            report(
                "method",
                format!("`{method}` is not one of {}", HTTP_METHODS.join(", ")),
            );
        }
        let expected_status = match expected_status {
            "" => default_expected_status(),
            text => match text.parse::<u16>() {
                Ok(status) if (100..=599).contains(&status) => status,
                _ => {
                    report(
                        "expected_status",
                        format!("`{text}` is not an HTTP status (100 to 599)"),
                    );
                    0
                }
            },
        };
        HealthcheckKind::Http {
            url: url.to_string(),
            method,
            expected_status,
        }
    };
    if problems_before.get() > 0 {
        return None;
    }
    Some(HealthcheckTarget {
        name: name.to_string(),
        check,
        timeout_seconds,
    })
}

/// Render targets back to CSV text with the header (what `PUT` stores).
pub fn render_healthcheck_csv(targets: &[HealthcheckTarget]) -> String {
    let mut text = format!("{HEALTHCHECK_CSV_HEADER}\n");
    for target in targets {
        let (url, method, expected_status) = match &target.check {
            HealthcheckKind::Http {
                url,
                method,
                expected_status,
            } => (url.clone(), method.clone(), expected_status.to_string()),
            HealthcheckKind::Tcp { address } => {
                (format!("tcp://{address}"), String::new(), String::new())
            }
        };
        text.push_str(&format!(
            "{},{url},{method},{expected_status},{}\n",
            target.name, target.timeout_seconds
        ));
    }
    text
}

#[cfg(test)]
#[path = "healthcheck_tests.rs"]
mod healthcheck_tests;
