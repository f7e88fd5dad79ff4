//! Alert rules from the files named in `[alert] rules_files`; errors name the file.

use std::path::Path;

/// Reads and validates every rule file; rule ids must be unique across files.
pub fn load_rule_files(paths: &[String]) -> Result<Vec<alert::Rule>, String> {
    let mut rules = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(Path::new(path))
            .map_err(|error| format!("rule file {path}: {error}"))?;
        let file_rules =
            alert::parse_rules_toml(&text).map_err(|error| format!("rule file {path}: {error}"))?;
        rules.extend(file_rules);
    }
    alert::validate_rules(&rules).map_err(|error| format!("rule files: {error}"))?;
    Ok(rules)
}
