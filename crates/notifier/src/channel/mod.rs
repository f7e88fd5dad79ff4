//! The channel plugin family: one config variant and one file per way of delivering a
//! notification.
//!
//! Adding a channel touches its file, its [`ChannelConfig`] variant and the match arm in
//! [`ChannelConfig::build`]. Channels make exactly one attempt per [`Channel::send`]: they never
//! retry, sleep or record metrics; the pipeline around them does, guided by
//! [`ChannelError::is_retryable`] and [`ChannelError::retry_after`].

use std::future::Future;
use std::pin::Pin;

use serde::Deserialize;

use crate::error::{ChannelError, ConfigError};
use crate::notification::Notification;

pub mod email;
mod http;
pub mod line;
pub mod slack;
pub mod webhook;

pub use email::{Email, EmailConfig, SmtpSecurity};
pub use line::{Line, LineConfig};
pub use slack::{Slack, SlackConfig};
pub use webhook::{Webhook, WebhookConfig};

/// The future [`Channel::send`] returns.
pub type SendFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Delivered, ChannelError>> + Send + 'a>>;

/// What a successful send reports.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Delivered {
    /// The provider's id for the message, when it returns one (LINE's sent message id, the
    /// email's Message-ID).
    pub provider_message_id: Option<String>,
}

/// One way of delivering notifications: a configured Slack webhook, LINE bot, mailbox...
pub trait Channel: Send + Sync + std::fmt::Debug {
    /// The channel's configured name, used in errors and delivery records.
    fn name(&self) -> &str;

    /// Delivers `notification` in one attempt.
    fn send<'a>(&'a self, notification: &'a Notification) -> SendFuture<'a>;
}

/// A channel's configuration, tagged by `type` (`email`, `slack`, `line`, `webhook`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ChannelConfig {
    Email(EmailConfig),
    Slack(SlackConfig),
    Line(LineConfig),
    Webhook(WebhookConfig),
}

impl ChannelConfig {
    /// The configured channel name.
    pub fn name(&self) -> &str {
        match self {
            ChannelConfig::Email(config) => &config.name,
            ChannelConfig::Slack(config) => &config.name,
            ChannelConfig::Line(config) => &config.name,
            ChannelConfig::Webhook(config) => &config.name,
        }
    }

    /// This channel aimed at one contact: email to the contact's address, a LINE push to
    /// the contact's LINE id, Slack through the contact's own webhook; `None` when the
    /// contact has no address of that kind, or for a webhook (never per contact).
    pub fn for_contact(&self, contact: &store::ContactRecord) -> Option<ChannelConfig> {
        match self {
            ChannelConfig::Email(config) if !contact.email.is_empty() => {
                let mut config = config.clone();
                config.to = vec![contact.email.clone()];
                Some(ChannelConfig::Email(config))
            }
            ChannelConfig::Line(config) if !contact.line_id.is_empty() => {
                let mut config = config.clone();
                config.to = contact.line_id.clone();
                Some(ChannelConfig::Line(config))
            }
            ChannelConfig::Slack(config) if !contact.slack_webhook.is_empty() => {
                let mut config = config.clone();
                config.webhook_url = detectviz::Secret::new(contact.slack_webhook.clone());
                Some(ChannelConfig::Slack(config))
            }
            _ => None,
        }
    }

    /// Checks the configuration and builds the channel.
    pub fn build(&self) -> Result<Box<dyn Channel>, ConfigError> {
        match self {
            ChannelConfig::Email(config) => Ok(Box::new(Email::new(config)?)),
            ChannelConfig::Slack(config) => Ok(Box::new(Slack::new(config)?)),
            ChannelConfig::Line(config) => Ok(Box::new(Line::new(config)?)),
            ChannelConfig::Webhook(config) => Ok(Box::new(Webhook::new(config)?)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_type_is_rejected() {
        let error = toml::from_str::<ChannelConfig>("type = \"pager\"\nname = \"x\"\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("unknown variant `pager`"), "{error}");
    }
}
