//! The running rule set: rules from the files named in `[alert] rules_files` plus the enabled
//! rules stored through the API. Errors name the file or the stored rule.

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

/// File rules plus enabled stored rules, validated together (ids unique across both).
pub async fn load_rule_set(
    paths: &[String],
    store: &store::Store,
) -> Result<Vec<alert::Rule>, String> {
    let mut rules = load_rule_files(paths)?;
    let stored = store
        .alert_rules()
        .list_enabled()
        .await
        .map_err(|error| format!("stored rules: {error}"))?;
    for record in stored {
        let rule = alert::parse_rule_json(&record.definition.to_string())
            .map_err(|error| format!("stored rule {}: {error}", record.id))?;
        rules.push(rule);
    }
    alert::validate_rules(&rules).map_err(|error| format!("rules: {error}"))?;
    Ok(rules)
}

/// Reloads the runner's rules from files and store; keeps the running rules on error.
pub async fn reload_rules(state: &crate::AppState) -> Result<usize, String> {
    let files = state.config.current().alert.rules_files.clone();
    let rules = load_rule_set(&files, &state.store).await?;
    let count = rules.len();
    state.alerts.set_rules(rules);
    Ok(count)
}
