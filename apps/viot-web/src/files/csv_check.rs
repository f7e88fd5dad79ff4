//! CSV for the CSV editor: parsing into a header and rows (quotes per RFC 4180; blank lines
//! and lines starting with `#` are skipped, the leading ones kept as a preamble), and the
//! checks of a schema, each problem naming its line, data row and column.

use serde::Serialize;

use super::CsvSchema;
use super::validate::FileProblem;

/// A CSV file as the editor shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CsvTable {
    /// Blank and `#` lines before the header, kept as they are when the table is saved.
    pub preamble: Vec<String>,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// The file line of the header (1-based; 0 without one).
    #[serde(skip)]
    pub header_line: usize,
    /// The file line each row starts on (1-based), beside `rows`.
    #[serde(skip)]
    pub row_lines: Vec<usize>,
}

/// Parses `text`; a quote left open is a problem at the line and column where it opened.
pub fn parse_csv(text: &str) -> Result<CsvTable, FileProblem> {
    let mut table = CsvTable {
        preamble: Vec::new(),
        header: Vec::new(),
        rows: Vec::new(),
        header_line: 0,
        row_lines: Vec::new(),
    };
    let lines: Vec<&str> = text.split('\n').collect();
    let mut index = 0;
    let mut header_seen = false;
    while index < lines.len() {
        let line = lines[index].strip_suffix('\r').unwrap_or(lines[index]);
        let line_number = index + 1;
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            if !header_seen && index + 1 < lines.len() {
                table.preamble.push(line.to_string());
            }
            index += 1;
            continue;
        }
        let (cells, lines_used) = parse_record(&lines[index..], line_number)?;
        index += lines_used;
        if header_seen {
            table.rows.push(cells);
            table.row_lines.push(line_number);
        } else {
            table.header = cells;
            table.header_line = line_number;
            header_seen = true;
        }
    }
    Ok(table)
}

/// One record starting at `lines[0]`, which may run over several lines inside quotes.
fn parse_record(lines: &[&str], first_line: usize) -> Result<(Vec<String>, usize), FileProblem> {
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut in_quotes = false;
    let mut quote_opened_at = (first_line, 0);
    let mut after_closing_quote = false;
    for (offset, raw_line) in lines.iter().enumerate() {
        let line = raw_line.strip_suffix('\r').unwrap_or(raw_line);
        let line_number = first_line + offset;
        let mut characters = line.chars().enumerate().peekable();
        while let Some((column, character)) = characters.next() {
            if in_quotes {
                if character == '"' {
                    if characters.peek().is_some_and(|(_, next)| *next == '"') {
                        cell.push('"');
                        characters.next();
                    } else {
                        in_quotes = false;
                        after_closing_quote = true;
                    }
                } else {
                    cell.push(character);
                }
                continue;
            }
            match character {
                ',' => {
                    cells.push(std::mem::take(&mut cell).trim().to_string());
                    after_closing_quote = false;
                }
                '"' if cell.trim().is_empty() && !after_closing_quote => {
                    cell.clear();
                    in_quotes = true;
                    quote_opened_at = (line_number, column + 1);
                }
                _ if after_closing_quote && !character.is_whitespace() => {
                    return Err(FileProblem::at(
                        line_number,
                        column + 1,
                        "text after a closing quote".into(),
                    ));
                }
                _ => cell.push(character),
            }
        }
        if in_quotes {
            cell.push('\n');
            continue;
        }
        cells.push(cell.trim().to_string());
        return Ok((cells, offset + 1));
    }
    Err(FileProblem::at(
        quote_opened_at.0,
        quote_opened_at.1,
        "this quote is never closed".into(),
    ))
}

/// Every problem of `text` under `schema`, in file order.
pub fn check_csv(text: &str, schema: CsvSchema) -> Vec<FileProblem> {
    let table = match parse_csv(text) {
        Ok(table) => table,
        Err(problem) => return vec![problem],
    };
    let mut problems = Vec::new();
    if table.header.is_empty() {
        if schema == CsvSchema::HealthcheckTargets && !table.rows.is_empty() {
            problems.push(FileProblem::message("the header row is missing".into()));
        }
        return problems;
    }
    let header_line = table.header_line;
    if schema == CsvSchema::HealthcheckTargets {
        let expected = autodeploy::healthcheck::HEALTHCHECK_CSV_HEADER;
        if table.header.join(",") != expected {
            let mut problem =
                FileProblem::at(header_line, 1, format!("the header must be `{expected}`"));
            problem.row = Some(0);
            problems.push(problem);
            return problems;
        }
    }
    let mut names = std::collections::BTreeMap::new();
    for (row_index, cells) in table.rows.iter().enumerate() {
        let row = row_index + 1;
        let line = table.row_lines[row_index];
        if cells.len() != table.header.len() {
            problems.push(FileProblem::in_row(
                line,
                row,
                None,
                &table.header,
                format!(
                    "expected {} cells, found {}",
                    table.header.len(),
                    cells.len()
                ),
            ));
            continue;
        }
        if schema != CsvSchema::HealthcheckTargets {
            continue;
        }
        if let Some(earlier_row) = names.insert(cells[0].clone(), row) {
            problems.push(FileProblem::in_row(
                line,
                row,
                Some(0),
                &table.header,
                format!("name `{}` is already used by row {earlier_row}", cells[0]),
            ));
            continue;
        }
        if let Some(column) = cells
            .iter()
            .position(|cell| cell.contains(',') || cell.contains('"') || cell.contains('\n'))
        {
            problems.push(FileProblem::in_row(
                line,
                row,
                Some(column),
                &table.header,
                "health-check targets take no quotes, commas or line breaks in a cell".into(),
            ));
            continue;
        }
        let single = format!("{}\n{}", table.header.join(","), cells.join(","));
        if let Err(error) = autodeploy::parse_healthcheck_csv(&single) {
            let (column_name, reason) = match &error {
                autodeploy::AutodeployError::HealthcheckTarget { target, reason } => {
                    // A whole-row reason repeats the target's own error: keep its reason.
                    let reason = reason
                        .strip_prefix("health-check target `")
                        .and_then(|rest| rest.split_once("`: "))
                        .map_or(reason.as_str(), |(_, inner)| inner);
                    (
                        target.split('`').nth(1).map(str::to_string),
                        reason.to_string(),
                    )
                }
                other => (None, other.to_string()),
            };
            let column = column_name
                .and_then(|name| table.header.iter().position(|header| *header == name))
                .or_else(|| guess_column(&reason, &table.header));
            problems.push(FileProblem::in_row(
                line,
                row,
                column,
                &table.header,
                reason,
            ));
        }
    }
    problems
}

/// The column a whole-row reason names (`url ...`, `method ...`, `expected status ...`).
fn guess_column(reason: &str, header: &[String]) -> Option<usize> {
    let first_word = reason.split_whitespace().next()?;
    let name = match first_word {
        "url" | "address" => "url",
        "method" => "method",
        "expected" => "expected_status",
        "timeout" => "timeout_seconds",
        "name" => "name",
        _ => return None,
    };
    header.iter().position(|header| header == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_cells_keep_commas_quotes_and_line_breaks() {
        let table = parse_csv("# note\nname,value\na,\"x, \"\"y\"\"\nz\"\nb,2\n").unwrap();
        assert_eq!(table.preamble, ["# note"]);
        assert_eq!(table.header, ["name", "value"]);
        assert_eq!(table.rows, [vec!["a", "x, \"y\"\nz"], vec!["b", "2"]]);
        assert_eq!(table.row_lines, [3, 5]);
    }

    #[test]
    fn an_open_quote_is_reported_where_it_opened() {
        let problem = parse_csv("name,value\na,\"never closed\nb,2\n").unwrap_err();
        assert_eq!((problem.line, problem.column), (Some(2), Some(3)));
    }

    #[test]
    fn health_check_rows_are_checked_each_with_its_row_and_column() {
        let text = "# targets\nname,url,method,expected_status,timeout_seconds\n\
                    web,https://example.com/,GET,200,5\n\
                    bad,ftp://example.com/,GET,200,5\n\
                    web,https://example.org/,GET,200,5\n\
                    slow,https://example.net/,GET,200,soon\n\
                    short,https://example.net/\n";
        let problems = check_csv(text, CsvSchema::HealthcheckTargets);
        let found: Vec<(Option<usize>, Option<usize>, Option<&str>)> = problems
            .iter()
            .map(|problem| (problem.line, problem.row, problem.field.as_deref()))
            .collect();
        assert_eq!(
            found,
            [
                (Some(4), Some(2), Some("url")),
                (Some(5), Some(3), Some("name")),
                (Some(6), Some(4), Some("timeout_seconds")),
                (Some(7), Some(5), None),
            ],
            "{problems:?}"
        );
        assert!(
            check_csv(
                autodeploy::healthcheck::HEALTHCHECK_SAMPLE_CSV,
                CsvSchema::HealthcheckTargets
            )
            .is_empty()
        );
    }

    #[test]
    fn a_wrong_health_check_header_is_one_problem() {
        let problems = check_csv("name,address\nweb,x\n", CsvSchema::HealthcheckTargets);
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].message.contains("name,url,method"),
            "{problems:?}"
        );
    }
}
