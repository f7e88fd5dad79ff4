//! The `automation_rules` repository: automation rules stored through the API, as JSON
//! documents (the automation crate's `AutomationRule`, (de)serialized by the caller), keyed by
//! the rule id, with the name and who changed the rule last and when. Rules from the config
//! file are never stored here.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::store::now_unix_millis;
use crate::{Store, StoreError};

/// A stored automation rule.
#[derive(Debug, Clone, PartialEq)]
pub struct AutomationRuleRecord {
    pub id: String,
    pub name: String,
    /// The whole rule as JSON.
    pub definition: serde_json::Value,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    /// Username or API token name of the last writer.
    pub updated_by: String,
}

/// What [`AutomationRules::insert`] and [`AutomationRules::replace`] need.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAutomationRule {
    pub id: String,
    pub name: String,
    pub definition: serde_json::Value,
    pub updated_by: String,
}

macro_rules! select_automation_rules {
    ($tail:literal) => {
        concat!(
            "SELECT id, name, definition, created_at, updated_at, updated_by ",
            "FROM automation_rules ",
            $tail
        )
    };
}

/// Repository over `automation_rules`; get it with [`Store::automation_rules`].
pub struct AutomationRules<'store> {
    store: &'store Store,
}

impl<'store> AutomationRules<'store> {
    pub(crate) fn new(store: &'store Store) -> Self {
        AutomationRules { store }
    }

    /// Stores a new rule; `Conflict` when a rule with this id is stored already.
    pub async fn insert(
        &self,
        rule: &NewAutomationRule,
    ) -> Result<AutomationRuleRecord, StoreError> {
        let now = now_unix_millis();
        sqlx::query(
            "INSERT INTO automation_rules \
             (id, name, definition, created_at, updated_at, updated_by) \
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(&rule.id)
        .bind(&rule.name)
        .bind(rule.definition.to_string())
        .bind(now)
        .bind(now)
        .bind(&rule.updated_by)
        .execute(self.store.pool())
        .await
        .map_err(|error| {
            StoreError::conflict_or(error, format!("automation rule {:?}", rule.id))
        })?;
        self.get(&rule.id)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: format!("automation rule {:?}", rule.id),
            })
    }

    /// Replaces the stored rule with this id (keeping its `created_at`); `NotFound` when there
    /// is none.
    pub async fn replace(
        &self,
        rule: &NewAutomationRule,
    ) -> Result<AutomationRuleRecord, StoreError> {
        let mut transaction = self.store.pool().begin().await?;
        let existing = sqlx::query("SELECT id FROM automation_rules WHERE id = ?")
            .bind(&rule.id)
            .fetch_optional(&mut *transaction)
            .await?;
        if existing.is_none() {
            return Err(StoreError::NotFound {
                what: format!("automation rule {:?}", rule.id),
            });
        }
        sqlx::query(
            "UPDATE automation_rules SET name = ?, definition = ?, updated_at = ?, \
             updated_by = ? WHERE id = ?",
        )
        .bind(&rule.name)
        .bind(rule.definition.to_string())
        .bind(now_unix_millis())
        .bind(&rule.updated_by)
        .bind(&rule.id)
        .execute(&mut *transaction)
        .await?;
        let row = sqlx::query(select_automation_rules!("WHERE id = ?"))
            .bind(&rule.id)
            .fetch_one(&mut *transaction)
            .await?;
        transaction.commit().await?;
        automation_rule_from_row(&row)
    }

    pub async fn get(&self, id: &str) -> Result<Option<AutomationRuleRecord>, StoreError> {
        let row = sqlx::query(select_automation_rules!("WHERE id = ?"))
            .bind(id)
            .fetch_optional(self.store.pool())
            .await?;
        row.as_ref().map(automation_rule_from_row).transpose()
    }

    /// Every stored rule, ordered by id.
    pub async fn list(&self) -> Result<Vec<AutomationRuleRecord>, StoreError> {
        let rows = sqlx::query(select_automation_rules!("ORDER BY id"))
            .fetch_all(self.store.pool())
            .await?;
        rows.iter().map(automation_rule_from_row).collect()
    }

    /// Deletes the rule; `NotFound` when there is none with this id.
    pub async fn delete(&self, id: &str) -> Result<(), StoreError> {
        let result = sqlx::query("DELETE FROM automation_rules WHERE id = ?")
            .bind(id)
            .execute(self.store.pool())
            .await?;
        if result.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: format!("automation rule {id:?}"),
            });
        }
        Ok(())
    }
}

fn automation_rule_from_row(row: &AnyRow) -> Result<AutomationRuleRecord, StoreError> {
    let id: String = row.try_get("id")?;
    let definition_text: String = row.try_get("definition")?;
    let definition =
        StoreError::parse_json(&definition_text, || format!("automation rule {id:?}"))?;
    Ok(AutomationRuleRecord {
        id,
        name: row.try_get("name")?,
        definition,
        created_at_ms: row.try_get("created_at")?,
        updated_at_ms: row.try_get("updated_at")?,
        updated_by: row.try_get("updated_by")?,
    })
}
