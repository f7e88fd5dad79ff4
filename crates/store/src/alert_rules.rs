//! The `alert_rules` repository: alert rules as JSON documents (the alert crate's `Rule`,
//! (de)serialized by the caller), keyed by the rule id, with the name, an enabled flag, where
//! the rule came from (the API or a rules file) and who changed it last and when.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::database_url::Backend;
use crate::store::now_unix_millis;
use crate::{Store, StoreError};

/// Where a rule was defined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlertRuleSource {
    /// Created or edited through the HTTP API / console.
    Api,
    /// Loaded from a rules file.
    File,
}

impl AlertRuleSource {
    /// `api` or `file`, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertRuleSource::Api => "api",
            AlertRuleSource::File => "file",
        }
    }

    /// The source named `api` or `file`; `None` for anything else.
    pub fn parse(text: &str) -> Option<AlertRuleSource> {
        match text {
            "api" => Some(AlertRuleSource::Api),
            "file" => Some(AlertRuleSource::File),
            _ => None,
        }
    }
}

impl std::fmt::Display for AlertRuleSource {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// A stored alert rule.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRuleRecord {
    pub id: String,
    pub name: String,
    pub enabled: bool,
    /// The whole rule as JSON.
    pub definition: serde_json::Value,
    pub source: AlertRuleSource,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    /// Username, API token name or `system` of the last writer.
    pub updated_by: String,
}

/// What `AlertRules::upsert` needs.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAlertRule {
    pub id: String,
    pub name: String,
    pub enabled: bool,
    pub definition: serde_json::Value,
    pub source: AlertRuleSource,
    pub updated_by: String,
}

/// `SELECT <every rule column> FROM alert_rules <tail>` as one static SQL string.
macro_rules! select_alert_rules {
    ($tail:literal) => {
        concat!(
            "SELECT id, name, enabled, definition, source, created_at, updated_at, updated_by ",
            "FROM alert_rules ",
            $tail
        )
    };
}

const SQLITE_UPSERT: &str = "INSERT INTO alert_rules \
     (id, name, enabled, definition, source, created_at, updated_at, updated_by) \
     VALUES (?, ?, ?, ?, ?, ?, ?, ?) \
     ON CONFLICT (id) DO UPDATE SET name = excluded.name, enabled = excluded.enabled, \
     definition = excluded.definition, source = excluded.source, \
     updated_at = excluded.updated_at, updated_by = excluded.updated_by";

const MYSQL_UPSERT: &str = "INSERT INTO alert_rules \
     (id, name, enabled, definition, source, created_at, updated_at, updated_by) \
     VALUES (?, ?, ?, ?, ?, ?, ?, ?) \
     ON DUPLICATE KEY UPDATE name = VALUES(name), enabled = VALUES(enabled), \
     definition = VALUES(definition), source = VALUES(source), \
     updated_at = VALUES(updated_at), updated_by = VALUES(updated_by)";

/// Repository over the `alert_rules` table; get it with [`Store::alert_rules`].
pub struct AlertRules<'store> {
    store: &'store Store,
}

impl<'store> AlertRules<'store> {
    pub(crate) fn new(store: &'store Store) -> Self {
        AlertRules { store }
    }

    /// Inserts the rule, or replaces everything but `created_at` of the rule with this id;
    /// returns the stored rule.
    pub async fn upsert(&self, rule: &NewAlertRule) -> Result<AlertRuleRecord, StoreError> {
        let upsert = match self.store.backend() {
            Backend::Sqlite => SQLITE_UPSERT,
            Backend::MySql => MYSQL_UPSERT,
        };
        let now = now_unix_millis();
        let mut transaction = self.store.pool().begin().await?;
        sqlx::query(upsert)
            .bind(&rule.id)
            .bind(&rule.name)
            .bind(i64::from(rule.enabled))
            .bind(rule.definition.to_string())
            .bind(rule.source.as_str())
            .bind(now)
            .bind(now)
            .bind(&rule.updated_by)
            .execute(&mut *transaction)
            .await?;
        let row = sqlx::query(select_alert_rules!("WHERE id = ?"))
            .bind(&rule.id)
            .fetch_one(&mut *transaction)
            .await?;
        transaction.commit().await?;
        alert_rule_from_row(&row)
    }

    pub async fn get(&self, id: &str) -> Result<Option<AlertRuleRecord>, StoreError> {
        let row = sqlx::query(select_alert_rules!("WHERE id = ?"))
            .bind(id)
            .fetch_optional(self.store.pool())
            .await?;
        row.as_ref().map(alert_rule_from_row).transpose()
    }

    /// Every rule, enabled or not, ordered by id.
    pub async fn list(&self) -> Result<Vec<AlertRuleRecord>, StoreError> {
        let rows = sqlx::query(select_alert_rules!("ORDER BY id"))
            .fetch_all(self.store.pool())
            .await?;
        rows.iter().map(alert_rule_from_row).collect()
    }

    /// The enabled rules, ordered by id: what the alert engine evaluates.
    pub async fn list_enabled(&self) -> Result<Vec<AlertRuleRecord>, StoreError> {
        let rows = sqlx::query(select_alert_rules!("WHERE enabled = 1 ORDER BY id"))
            .fetch_all(self.store.pool())
            .await?;
        rows.iter().map(alert_rule_from_row).collect()
    }

    /// Deletes the rule; `NotFound` when there is none with this id.
    pub async fn delete(&self, id: &str) -> Result<(), StoreError> {
        let result = sqlx::query("DELETE FROM alert_rules WHERE id = ?")
            .bind(id)
            .execute(self.store.pool())
            .await?;
        if result.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: format!("alert rule {id:?}"),
            });
        }
        Ok(())
    }
}

fn alert_rule_from_row(row: &AnyRow) -> Result<AlertRuleRecord, StoreError> {
    let id: String = row.try_get("id")?;
    let enabled: i64 = row.try_get("enabled")?;
    let definition_text: String = row.try_get("definition")?;
    let definition = StoreError::parse_json(&definition_text, || format!("alert rule {id:?}"))?;
    let source_text: String = row.try_get("source")?;
    let source = AlertRuleSource::parse(&source_text).ok_or_else(|| StoreError::Decode {
        what: format!("alert rule {id:?} source"),
        reason: format!("{source_text:?} is neither \"api\" nor \"file\""),
    })?;
    Ok(AlertRuleRecord {
        id,
        name: row.try_get("name")?,
        enabled: enabled != 0,
        definition,
        source,
        created_at_ms: row.try_get("created_at")?,
        updated_at_ms: row.try_get("updated_at")?,
        updated_by: row.try_get("updated_by")?,
    })
}
