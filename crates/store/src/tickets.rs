//! The `tickets` repository: tickets the automation's ticket action opens for alerts, with at
//! most one open ticket per alert fingerprint.
//!
//! A ticket is `open`, `acknowledged` or `closed`. While it is not closed its
//! `open_fingerprint` column holds the alert's fingerprint under a unique index, so
//! [`Tickets::open_or_get`] either inserts the one open ticket or returns the existing one, even
//! when two executors race. Closing sets the column to NULL, so the alert may get a new ticket.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::store::now_unix_millis;
use crate::{Store, StoreError};

/// The statuses a ticket may have.
pub const TICKET_STATUSES: [&str; 3] = ["open", "acknowledged", "closed"];

/// What `Tickets::open_or_get` needs.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NewTicket {
    /// A uuid chosen by the caller.
    pub id: String,
    pub fingerprint: String,
    pub title: String,
    pub description: String,
    pub severity: String,
    pub assignee: String,
    pub alert_link: String,
    /// The automation run that opened it.
    pub run_id: Option<String>,
}

/// A stored ticket.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketRecord {
    pub ticket: NewTicket,
    pub status: String,
    /// The external ITSM's id, once forwarded.
    pub external_id: Option<String>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    pub closed_at_ms: Option<i64>,
    /// When the alert resolved, for a ticket closed because of that.
    pub resolved_at_ms: Option<i64>,
}

/// What `open_or_get` found or made.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketClaim {
    pub record: TicketRecord,
    /// True when this call opened the ticket.
    pub created: bool,
}

macro_rules! select_tickets {
    ($tail:literal) => {
        concat!(
            "SELECT id, fingerprint, title, description, severity, status, \
     assignee, alert_link, run_id, external_id, created_at, updated_at, closed_at, resolved_at \
     FROM tickets ",
            $tail
        )
    };
}

/// Repository over `tickets`; get it with [`Store::tickets`].
pub struct Tickets<'store> {
    store: &'store Store,
}

impl<'store> Tickets<'store> {
    pub(crate) fn new(store: &'store Store) -> Self {
        Tickets { store }
    }

    /// Opens a ticket for the fingerprint unless one is open (or acknowledged), and returns
    /// the open one either way.
    pub async fn open_or_get(&self, ticket: &NewTicket) -> Result<TicketClaim, StoreError> {
        let now_ms = now_unix_millis();
        let outcome = sqlx::query(
            "INSERT INTO tickets (id, fingerprint, open_fingerprint, title, description, \
             severity, status, assignee, alert_link, run_id, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?, ?, ?, ?)",
        )
        .bind(&ticket.id)
        .bind(&ticket.fingerprint)
        .bind(&ticket.fingerprint)
        .bind(&ticket.title)
        .bind(&ticket.description)
        .bind(&ticket.severity)
        .bind(&ticket.assignee)
        .bind(&ticket.alert_link)
        .bind(&ticket.run_id)
        .bind(now_ms)
        .bind(now_ms)
        .execute(self.store.pool())
        .await;
        let created = match outcome {
            Ok(_) => true,
            Err(error) => match StoreError::conflict_or(error, "ticket") {
                StoreError::Conflict { .. } => false,
                other => return Err(other),
            },
        };
        let record = self
            .open_for_fingerprint(&ticket.fingerprint)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: format!("open ticket for alert {}", ticket.fingerprint),
            })?;
        Ok(TicketClaim { record, created })
    }

    /// The ticket of `fingerprint` that is not closed.
    pub async fn open_for_fingerprint(
        &self,
        fingerprint: &str,
    ) -> Result<Option<TicketRecord>, StoreError> {
        let row = sqlx::query(select_tickets!("WHERE open_fingerprint = ?"))
            .bind(fingerprint)
            .fetch_optional(self.store.pool())
            .await?;
        row.as_ref().map(ticket_from_row).transpose()
    }

    pub async fn get(&self, id: &str) -> Result<Option<TicketRecord>, StoreError> {
        let row = sqlx::query(select_tickets!("WHERE id = ?"))
            .bind(id)
            .fetch_optional(self.store.pool())
            .await?;
        row.as_ref().map(ticket_from_row).transpose()
    }

    /// The newest tickets first; `status` filters when given.
    pub async fn list(
        &self,
        status: Option<&str>,
        limit: u32,
    ) -> Result<Vec<TicketRecord>, StoreError> {
        let rows = sqlx::query(select_tickets!(
            "WHERE (? IS NULL OR status = ?) \
             ORDER BY created_at DESC, id DESC LIMIT ?"
        ))
        .bind(status)
        .bind(status)
        .bind(i64::from(limit.clamp(1, 1_000)))
        .fetch_all(self.store.pool())
        .await?;
        rows.iter().map(ticket_from_row).collect()
    }

    /// Changes the status (one of [`TICKET_STATUSES`]; the caller checks) and the assignee.
    /// Reopening a closed ticket is a `Conflict` when the alert has another open ticket.
    pub async fn update(
        &self,
        id: &str,
        status: &str,
        assignee: &str,
    ) -> Result<TicketRecord, StoreError> {
        let now_ms = now_unix_millis();
        let closed = status == "closed";
        let result = sqlx::query(
            "UPDATE tickets SET status = ?, assignee = ?, updated_at = ?, \
             open_fingerprint = CASE WHEN ? = 1 THEN NULL ELSE fingerprint END, \
             closed_at = CASE WHEN ? = 1 THEN COALESCE(closed_at, ?) ELSE NULL END, \
             resolved_at = CASE WHEN ? = 1 THEN resolved_at ELSE NULL END \
             WHERE id = ?",
        )
        .bind(status)
        .bind(assignee)
        .bind(now_ms)
        .bind(i64::from(closed))
        .bind(i64::from(closed))
        .bind(now_ms)
        .bind(i64::from(closed))
        .bind(id)
        .execute(self.store.pool())
        .await
        .map_err(|error| {
            StoreError::conflict_or(
                error,
                format!("another open ticket for ticket {id}'s alert"),
            )
        })?;
        if result.rows_affected() == 0 && self.get(id).await?.is_none() {
            return Err(StoreError::NotFound {
                what: format!("ticket {id}"),
            });
        }
        self.get(id).await?.ok_or_else(|| StoreError::NotFound {
            what: format!("ticket {id}"),
        })
    }

    /// Closes the alert's open (or acknowledged) ticket because the alert resolved at
    /// `resolved_at_ms`; returns it, or `None` when the alert has no open ticket. The alert
    /// may then get a new ticket when it fires again.
    pub async fn close_for_resolved_alert(
        &self,
        fingerprint: &str,
        resolved_at_ms: i64,
    ) -> Result<Option<TicketRecord>, StoreError> {
        let Some(open) = self.open_for_fingerprint(fingerprint).await? else {
            return Ok(None);
        };
        sqlx::query(
            "UPDATE tickets SET status = 'closed', open_fingerprint = NULL, updated_at = ?, \
             closed_at = ?, resolved_at = ? WHERE id = ? AND open_fingerprint IS NOT NULL",
        )
        .bind(now_unix_millis())
        .bind(resolved_at_ms)
        .bind(resolved_at_ms)
        .bind(&open.ticket.id)
        .execute(self.store.pool())
        .await?;
        self.get(&open.ticket.id).await
    }

    /// Notes the external ITSM's id of a forwarded ticket.
    pub async fn set_external_id(&self, id: &str, external_id: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE tickets SET external_id = ?, updated_at = ? WHERE id = ?")
            .bind(external_id)
            .bind(now_unix_millis())
            .bind(id)
            .execute(self.store.pool())
            .await?;
        Ok(())
    }
}

fn ticket_from_row(row: &AnyRow) -> Result<TicketRecord, StoreError> {
    Ok(TicketRecord {
        ticket: NewTicket {
            id: row.try_get("id")?,
            fingerprint: row.try_get("fingerprint")?,
            title: row.try_get("title")?,
            description: row.try_get("description")?,
            severity: row.try_get("severity")?,
            assignee: row.try_get("assignee")?,
            alert_link: row.try_get("alert_link")?,
            run_id: row.try_get("run_id")?,
        },
        status: row.try_get("status")?,
        external_id: row.try_get("external_id")?,
        created_at_ms: row.try_get("created_at")?,
        updated_at_ms: row.try_get("updated_at")?,
        closed_at_ms: row.try_get("closed_at")?,
        resolved_at_ms: row.try_get("resolved_at")?,
    })
}
