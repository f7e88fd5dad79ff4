//! The `contacts` repository: people (or shared inboxes) the notifier can reach, with the
//! groups they belong to and the channels they want, both stored as JSON lists of names.
//! Groups are labels on contacts rather than a table of their own.
//!
//! `slack_webhook` is a secret (its URL carries a token): it is stored as given but never
//! printed by `Debug`.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::store::now_unix_millis;
use crate::{Store, StoreError};

/// What `Contacts::create` and `Contacts::update` need.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct NewContact {
    /// A uuid chosen by the caller.
    pub id: String,
    /// Unique among contacts.
    pub name: String,
    /// Empty when unknown.
    pub email: String,
    pub phone: String,
    /// LINE user or group id.
    pub line_id: String,
    /// Slack incoming webhook URL; secret.
    pub slack_webhook: String,
    pub groups: Vec<String>,
    /// Channel names (as configured in `[[notifier.channels]]`).
    pub channels: Vec<String>,
    pub active: bool,
}

/// A stored contact.
#[derive(Clone, PartialEq, Eq)]
pub struct ContactRecord {
    pub id: String,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub line_id: String,
    /// Slack incoming webhook URL; secret, hidden in `Debug`.
    pub slack_webhook: String,
    pub groups: Vec<String>,
    pub channels: Vec<String>,
    pub active: bool,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

fn redacted(secret: &str) -> &'static str {
    if secret.is_empty() { "" } else { "***" }
}

impl std::fmt::Debug for NewContact {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("NewContact")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("email", &self.email)
            .field("phone", &self.phone)
            .field("line_id", &self.line_id)
            .field("slack_webhook", &redacted(&self.slack_webhook))
            .field("groups", &self.groups)
            .field("channels", &self.channels)
            .field("active", &self.active)
            .finish()
    }
}

impl std::fmt::Debug for ContactRecord {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("ContactRecord")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("email", &self.email)
            .field("phone", &self.phone)
            .field("line_id", &self.line_id)
            .field("slack_webhook", &redacted(&self.slack_webhook))
            .field("groups", &self.groups)
            .field("channels", &self.channels)
            .field("active", &self.active)
            .field("created_at_ms", &self.created_at_ms)
            .field("updated_at_ms", &self.updated_at_ms)
            .finish()
    }
}

macro_rules! select_contacts {
    ($tail:literal) => {
        concat!(
            "SELECT id, name, email, phone, line_id, slack_webhook, contact_groups, channels, ",
            "active, created_at, updated_at FROM contacts ",
            $tail
        )
    };
}

/// Repository over the `contacts` table; get it with [`Store::contacts`].
pub struct Contacts<'store> {
    store: &'store Store,
}

impl<'store> Contacts<'store> {
    pub(crate) fn new(store: &'store Store) -> Self {
        Contacts { store }
    }

    /// Inserts a contact; `Conflict` when the id or the name is taken.
    pub async fn create(&self, contact: &NewContact) -> Result<ContactRecord, StoreError> {
        let now = now_unix_millis();
        sqlx::query(
            "INSERT INTO contacts (id, name, email, phone, line_id, slack_webhook, \
             contact_groups, channels, active, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&contact.id)
        .bind(&contact.name)
        .bind(&contact.email)
        .bind(&contact.phone)
        .bind(&contact.line_id)
        .bind(&contact.slack_webhook)
        .bind(json_list(&contact.groups))
        .bind(json_list(&contact.channels))
        .bind(i64::from(contact.active))
        .bind(now)
        .bind(now)
        .execute(self.store.pool())
        .await
        .map_err(|error| StoreError::conflict_or(error, format!("contact {:?}", contact.name)))?;
        self.get(&contact.id)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: format!("contact {:?}", contact.id),
            })
    }

    /// Replaces every field but `id` and `created_at`; `NotFound` for an unknown id,
    /// `Conflict` when the new name is another contact's.
    pub async fn update(&self, contact: &NewContact) -> Result<ContactRecord, StoreError> {
        sqlx::query(
            "UPDATE contacts SET name = ?, email = ?, phone = ?, line_id = ?, \
             slack_webhook = ?, contact_groups = ?, channels = ?, active = ?, updated_at = ? \
             WHERE id = ?",
        )
        .bind(&contact.name)
        .bind(&contact.email)
        .bind(&contact.phone)
        .bind(&contact.line_id)
        .bind(&contact.slack_webhook)
        .bind(json_list(&contact.groups))
        .bind(json_list(&contact.channels))
        .bind(i64::from(contact.active))
        .bind(now_unix_millis())
        .bind(&contact.id)
        .execute(self.store.pool())
        .await
        .map_err(|error| StoreError::conflict_or(error, format!("contact {:?}", contact.name)))?;
        let not_found = || StoreError::NotFound {
            what: format!("contact {:?}", contact.id),
        };
        // MySQL reports 0 affected rows when nothing changed, so look the row up instead.
        self.get(&contact.id).await?.ok_or_else(not_found)
    }

    pub async fn get(&self, id: &str) -> Result<Option<ContactRecord>, StoreError> {
        let row = sqlx::query(select_contacts!("WHERE id = ?"))
            .bind(id)
            .fetch_optional(self.store.pool())
            .await?;
        row.as_ref().map(contact_from_row).transpose()
    }

    /// Every contact, by name.
    pub async fn list(&self) -> Result<Vec<ContactRecord>, StoreError> {
        let rows = sqlx::query(select_contacts!("ORDER BY name, id"))
            .fetch_all(self.store.pool())
            .await?;
        rows.iter().map(contact_from_row).collect()
    }

    /// The active contacts in `group`, by name.
    pub async fn list_active_in_group(
        &self,
        group: &str,
    ) -> Result<Vec<ContactRecord>, StoreError> {
        let contacts = self.list().await?;
        Ok(contacts
            .into_iter()
            .filter(|contact| contact.active && contact.groups.iter().any(|name| name == group))
            .collect())
    }

    /// Removes the contact; `NotFound` for an unknown id.
    pub async fn delete(&self, id: &str) -> Result<(), StoreError> {
        let result = sqlx::query("DELETE FROM contacts WHERE id = ?")
            .bind(id)
            .execute(self.store.pool())
            .await?;
        if result.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: format!("contact {id:?}"),
            });
        }
        Ok(())
    }
}

fn json_list(names: &[String]) -> String {
    serde_json::to_string(names).expect("a list of strings serialises")
}

fn contact_from_row(row: &AnyRow) -> Result<ContactRecord, StoreError> {
    let id: String = row.try_get("id")?;
    let groups_text: String = row.try_get("contact_groups")?;
    let channels_text: String = row.try_get("channels")?;
    let groups = StoreError::parse_json(&groups_text, || format!("contact {id:?} groups"))?;
    let channels = StoreError::parse_json(&channels_text, || format!("contact {id:?} channels"))?;
    let active: i64 = row.try_get("active")?;
    Ok(ContactRecord {
        id,
        name: row.try_get("name")?,
        email: row.try_get("email")?,
        phone: row.try_get("phone")?,
        line_id: row.try_get("line_id")?,
        slack_webhook: row.try_get("slack_webhook")?,
        groups,
        channels,
        active: active != 0,
        created_at_ms: row.try_get("created_at")?,
        updated_at_ms: row.try_get("updated_at")?,
    })
}
