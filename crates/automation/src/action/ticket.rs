//! Ticket action: opens an issue in an external ticketing system (ITSM) with one signed POST.
//!
//! It is a webhook with a fixed body shape: title, description, severity, status `open`,
//! assignee, the alert's fingerprint and a link to it; `format = "servicenow"` sends the same
//! as a ServiceNow Table API incident (`short_description`, `assigned_to`, `correlation_id`,
//! ...). The created ticket's id (`/id`, or `/result/number` for ServiceNow) becomes the run's
//! provider id. One ticket per transition comes from the executor's run ledger. See
//! `ticket.sample.toml`.
//!
//! Built with a store ([`Ticket::with_store`], as the executor does), the ticket is first
//! written to `tickets`: at most one open ticket per alert fingerprint, so a second firing
//! reuses the open ticket (and its external id) instead of forwarding another one. On a
//! `resolved` transition it never opens a ticket: it closes the alert's open one, if any
//! (the executor has usually closed it already), with the resolved time, and forwards
//! nothing.

use std::collections::BTreeMap;

use detectviz::TransitionKind;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::action::output::DEFAULT_OUTPUT_CAP_BYTES;
use crate::action::webhook::{Webhook, WebhookConfig};
use crate::action::{Action, ActionOutput, ActionRequest, ExecuteFuture, Secret};
use crate::error::{ActionError, ConfigError};
use crate::template::{Escape, render};

/// The sample configuration, checked by the tests.
pub const SAMPLE_CONFIG: &str = include_str!("ticket.sample.toml");

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TicketConfig {
    pub name: String,
    /// Where tickets are created; secret because URLs often carry tokens.
    #[serde(serialize_with = "crate::action::masked::secret")]
    pub url: Secret,
    #[serde(default)]
    pub format: TicketFormat,
    /// Header templates (credentials), treated as secrets.
    #[serde(default)]
    #[serde(serialize_with = "crate::action::masked::secret_map")]
    pub headers: BTreeMap<String, Secret>,
    #[serde(default = "default_title")]
    pub title: String,
    #[serde(default = "default_description")]
    pub description: String,
    #[serde(default)]
    pub assignee: String,
    /// Template of the link back to the alert, e.g. `https://dv.example/alerts/{{fingerprint}}`.
    #[serde(default)]
    pub alert_link: String,
    #[serde(default)]
    #[serde(serialize_with = "crate::action::masked::optional_secret")]
    pub signature_secret: Option<Secret>,
    #[serde(default)]
    pub signature_header: Option<String>,
    /// Where the ticket id is in the answer; by default `/id`, `/result/number` for ServiceNow.
    #[serde(default)]
    pub provider_id_pointer: Option<String>,
}

/// The body shape the ticketing system expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TicketFormat {
    #[default]
    Generic,
    ServiceNow,
}

fn default_title() -> String {
    "[{{severity}}] {{alertname}}".to_string()
}

fn default_description() -> String {
    "{{annotations.summary}}".to_string()
}

/// A configured ticketing system.
#[derive(Debug)]
pub struct Ticket {
    webhook: Webhook,
    title: String,
    description: String,
    assignee: String,
    alert_link: String,
    store: Option<store::Store>,
}

impl Ticket {
    pub fn new(config: &TicketConfig) -> Result<Ticket, ConfigError> {
        let (body, default_pointer) = match config.format {
            TicketFormat::Generic => (
                json!({
                    "title": config.title,
                    "description": config.description,
                    "severity": "{{severity}}",
                    "status": "open",
                    "assignee": config.assignee,
                    "fingerprint": "{{fingerprint}}",
                    "alert_link": config.alert_link,
                }),
                "/id",
            ),
            TicketFormat::ServiceNow => (
                json!({
                    "short_description": config.title,
                    "description": config.description,
                    "state": "1",
                    "assigned_to": config.assignee,
                    "correlation_id": "{{fingerprint}}",
                    "u_severity": "{{severity}}",
                    "u_alert_link": config.alert_link,
                }),
                "/result/number",
            ),
        };
        let webhook_config = WebhookConfig {
            name: config.name.clone(),
            method: "POST".to_string(),
            url: config.url.clone(),
            headers: config.headers.clone(),
            // The templates sit inside JSON strings: literal text is escaped here, and
            // substituted values are escaped when rendered.
            body: Some(body.to_string()),
            content_type: "application/json".to_string(),
            signature_secret: config.signature_secret.clone(),
            signature_header: config
                .signature_header
                .clone()
                .unwrap_or_else(|| "X-Detectviz-Signature".to_string()),
            provider_id_pointer: Some(
                config
                    .provider_id_pointer
                    .clone()
                    .unwrap_or_else(|| default_pointer.to_string()),
            ),
            max_response_bytes: DEFAULT_OUTPUT_CAP_BYTES,
        };
        Ok(Ticket {
            webhook: Webhook::new(&webhook_config)?,
            title: config.title.clone(),
            description: config.description.clone(),
            assignee: config.assignee.clone(),
            alert_link: config.alert_link.clone(),
            store: None,
        })
    }

    /// Writes each ticket to `store` before forwarding it.
    pub fn with_store(mut self, store: store::Store) -> Ticket {
        self.store = Some(store);
        self
    }

    async fn close_in_store(
        &self,
        store: &store::Store,
        request: &ActionRequest,
    ) -> Result<ActionOutput, ActionError> {
        let transition = &request.transition;
        let closed = store
            .tickets()
            .close_for_resolved_alert(&transition.fingerprint, transition.at_ms)
            .await
            .map_err(|error| ActionError::Unreachable {
                action: self.name().to_string(),
                peer: "store".to_string(),
                reason: error.to_string(),
            })?;
        let stdout = match &closed {
            Some(ticket) => format!("ticket {} closed: the alert resolved", ticket.ticket.id),
            None => "the alert resolved; it has no open ticket".to_string(),
        };
        Ok(ActionOutput {
            stdout,
            provider_id: closed.and_then(|ticket| ticket.external_id),
            ..ActionOutput::default()
        })
    }

    async fn open_in_store(
        &self,
        store: &store::Store,
        request: &ActionRequest,
    ) -> Result<ActionOutput, ActionError> {
        let context = request.template_context();
        let render = |template: &str| {
            render(template, &context, Escape::None).map_err(|reason| ActionError::InvalidRequest {
                action: self.name().to_string(),
                reason,
            })
        };
        let new_ticket = store::NewTicket {
            id: uuid::Uuid::new_v4().to_string(),
            fingerprint: request.transition.fingerprint.clone(),
            title: render(&self.title)?,
            description: render(&self.description)?,
            severity: request.transition.severity.to_string(),
            assignee: render(&self.assignee)?,
            alert_link: render(&self.alert_link)?,
            run_id: Some(request.run_id.clone()),
        };
        let store_error = |error: store::StoreError| ActionError::Unreachable {
            action: self.name().to_string(),
            peer: "store".to_string(),
            reason: error.to_string(),
        };
        let tickets = store.tickets();
        let claim = tickets
            .open_or_get(&new_ticket)
            .await
            .map_err(store_error)?;
        if let Some(external_id) = &claim.record.external_id {
            return Ok(ActionOutput {
                stdout: format!("open ticket {} reused", claim.record.ticket.id),
                provider_id: Some(external_id.clone()),
                ..ActionOutput::default()
            });
        }
        let mut output = self.webhook.execute(request).await?;
        if let Some(external_id) = &output.provider_id {
            tickets
                .set_external_id(&claim.record.ticket.id, external_id)
                .await
                .map_err(store_error)?;
        }
        if !claim.created {
            output.stdout = format!(
                "open ticket {} forwarded again\n{}",
                claim.record.ticket.id, output.stdout
            );
        }
        Ok(output)
    }
}

impl Action for Ticket {
    fn name(&self) -> &str {
        self.webhook.name()
    }

    fn execute<'a>(&'a self, request: &'a ActionRequest) -> ExecuteFuture<'a> {
        let resolved = request.transition.kind == TransitionKind::Resolved;
        match &self.store {
            Some(store) if resolved => Box::pin(self.close_in_store(store, request)),
            Some(store) => Box::pin(self.open_in_store(store, request)),
            None => self.webhook.execute(request),
        }
    }
}

#[cfg(test)]
#[path = "ticket_tests.rs"]
mod tests;
