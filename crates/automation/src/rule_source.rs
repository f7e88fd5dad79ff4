//! The executor's rules: those of the config file, then those stored through the API
//! (`automation_rules`). [`Executor::current_rules`] reads the stored ones from the store each
//! time it is called (for each alert transition, and for the task runner), and rebuilds their
//! actions only when a definition changed, so a change made on any node applies to the next
//! transition without a restart. A stored rule that fails its checks or no longer builds (its
//! script was removed) is left out with an error in the log; the others still run.

use std::sync::Arc;

use crate::executor::{Executor, PreparedRule};
use crate::stored_rule::{check_stored_rule, parse_rule_document};

/// The stored rules as last read, with their built actions.
#[derive(Default)]
pub(crate) struct StoredRules {
    pub(crate) definitions: Vec<(String, serde_json::Value)>,
    pub(crate) prepared: Vec<Arc<PreparedRule>>,
}

impl Executor {
    /// The config file's rules followed by the rules stored through the API, read from the
    /// store now; the stored rules' actions are rebuilt when a definition changed.
    pub(crate) async fn current_rules(&self) -> Result<Vec<Arc<PreparedRule>>, store::StoreError> {
        let records = self.store.automation_rules().list().await?;
        let definitions: Vec<(String, serde_json::Value)> = records
            .into_iter()
            .map(|record| (record.id, record.definition))
            .collect();
        let mut stored = self.stored_rules.lock().await;
        if stored.definitions != definitions {
            stored.prepared = self.prepare_stored_rules(&definitions);
            stored.definitions = definitions;
            tracing::info!(
                stored_rules = stored.prepared.len(),
                "automation rules stored through the API loaded"
            );
        }
        let mut rules = self.config_rules.clone();
        rules.extend(stored.prepared.iter().cloned());
        Ok(rules)
    }

    fn prepare_stored_rules(
        &self,
        definitions: &[(String, serde_json::Value)],
    ) -> Vec<Arc<PreparedRule>> {
        let mut prepared = Vec::new();
        for (id, definition) in definitions {
            if self.config_rules.iter().any(|config| &config.rule.id == id) {
                tracing::error!(rule = %id, "a stored automation rule has the id of a config rule; left out");
                continue;
            }
            let scripts_dir = self.config.stored_rules_scripts_dir.as_deref();
            let checked = parse_rule_document(&definition.to_string()).and_then(|rule| {
                check_stored_rule(&rule, scripts_dir)?;
                Ok(rule)
            });
            let rule = match checked {
                Ok(rule) => rule,
                Err(problem) => {
                    tracing::error!(rule = %id, %problem, "a stored automation rule is left out");
                    continue;
                }
            };
            match rule.action.build_with_store(&self.store) {
                Ok(action) => prepared.push(Arc::new(PreparedRule { rule, action })),
                Err(error) => {
                    tracing::error!(rule = %id, %error, "a stored automation rule is left out");
                }
            }
        }
        prepared
    }
}
