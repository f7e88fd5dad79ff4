//! Email channel: SMTP through `lettre`, plain, STARTTLS or implicit TLS (rustls), optional
//! authentication, a `multipart/alternative` message with a text and an HTML part.
//!
//! The Message-ID is derived from the notification's idempotency key, so a message sent twice
//! can be recognised as one by the receiving side. See `email.sample.toml`.

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::Deserialize;
use std::path::PathBuf;

use crate::channel::{Channel, Delivered, SendFuture};
use crate::error::{ChannelError, ConfigError, error_chain};
use crate::notification::Notification;
use crate::render::Language;
use crate::template::{ChannelTemplates, TemplateOverride};
use detectviz::Secret;

/// The sample configuration, checked by the tests.
pub const SAMPLE_CONFIG: &str = include_str!("email.sample.toml");

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// Plain SMTP, for a relay on a trusted network (default port 25).
    None,
    /// Plain connection upgraded with STARTTLS, which the server must offer (default port 587).
    #[default]
    Starttls,
    /// TLS from the first byte, "SMTPS" (default port 465).
    Tls,
}

impl SmtpSecurity {
    fn default_port(self) -> u16 {
        match self {
            SmtpSecurity::None => 25,
            SmtpSecurity::Starttls => 587,
            SmtpSecurity::Tls => 465,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailConfig {
    pub name: String,
    pub host: String,
    /// Defaults to 25, 587 or 465 depending on `security`.
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default)]
    pub security: SmtpSecurity,
    /// PEM file of CA certificates to trust besides the system's, e.g. a plant's internal CA.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Username and password, both or neither.
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<Secret>,
    /// Sender, e.g. `Detectviz <detectviz@plant-a.example>`.
    pub from: String,
    /// At least one recipient.
    pub to: Vec<String>,
    /// `zh-TW` (default) or `en`: the default templates' language.
    #[serde(default)]
    pub language: Language,
    /// Own `title` (subject), `body` (text part) or `html` (HTML part) templates.
    #[serde(default)]
    pub template: Option<TemplateOverride>,
}

/// A configured SMTP sender.
pub struct Email {
    name: String,
    peer: String,
    from: Mailbox,
    to: Vec<Mailbox>,
    templates: ChannelTemplates,
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl Email {
    pub fn new(config: &EmailConfig) -> Result<Email, ConfigError> {
        let name = config.name.as_str();
        let from = parse_mailbox(name, "from", &config.from)?;
        if config.to.is_empty() {
            return Err(ConfigError::invalid(
                name,
                "`to` needs at least one address",
            ));
        }
        let to = config
            .to
            .iter()
            .map(|address| parse_mailbox(name, "to", address))
            .collect::<Result<Vec<_>, _>>()?;
        let port = config.port.unwrap_or(config.security.default_port());
        let tls = match config.security {
            SmtpSecurity::None => Tls::None,
            SmtpSecurity::Starttls => Tls::Required(tls_parameters(config)?),
            SmtpSecurity::Tls => Tls::Wrapper(tls_parameters(config)?),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host)
            .port(port)
            .tls(tls);
        match (&config.username, &config.password) {
            (Some(username), Some(password)) => {
                builder = builder.credentials(Credentials::new(
                    username.clone(),
                    password.expose().to_string(),
                ));
            }
            (None, None) => {}
            _ => {
                return Err(ConfigError::invalid(
                    name,
                    "set both `username` and `password`, or neither",
                ));
            }
        }
        Ok(Email {
            name: name.to_string(),
            peer: format!("{}:{port}", config.host),
            from,
            to,
            templates: ChannelTemplates::new(name, config.language, config.template.as_ref())?,
            transport: builder.build(),
        })
    }

    /// The MIME message for a notification.
    pub fn message(&self, notification: &Notification) -> Result<Message, ChannelError> {
        let mut builder = Message::builder()
            .from(self.from.clone())
            .subject(self.templates.title(notification)?)
            .message_id(Some(message_id(notification)));
        for recipient in &self.to {
            builder = builder.to(recipient.clone());
        }
        let body = MultiPart::alternative_plain_html(
            self.templates.body(notification)?,
            self.templates.html(notification)?,
        );
        builder
            .multipart(body)
            .map_err(|error| ChannelError::InvalidMessage {
                channel: self.name.clone(),
                reason: error.to_string(),
            })
    }

    async fn send_notification(
        &self,
        notification: &Notification,
    ) -> Result<Delivered, ChannelError> {
        let message = self.message(notification)?;
        self.transport
            .send(message)
            .await
            .map_err(|error| self.smtp_error(error))?;
        Ok(Delivered {
            provider_message_id: Some(message_id(notification)),
        })
    }

    fn smtp_error(&self, error: lettre::transport::smtp::Error) -> ChannelError {
        let channel = self.name.clone();
        let peer = self.peer.clone();
        if error.is_timeout() {
            return ChannelError::TimedOut { channel, peer };
        }
        let reason = error_chain(&error);
        if error.is_permanent() || error.is_transient() {
            let permanent = error.is_permanent();
            return ChannelError::SmtpRefused {
                channel,
                peer,
                reason,
                permanent,
            };
        }
        if error.is_client() {
            return ChannelError::InvalidMessage { channel, reason };
        }
        ChannelError::Unreachable {
            channel,
            peer,
            reason,
        }
    }
}

/// Shows the name, server and addresses only: never the credentials.
impl std::fmt::Debug for Email {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Email")
            .field("name", &self.name)
            .field("peer", &self.peer)
            .field("from", &self.from.to_string())
            .field(
                "to",
                &self.to.iter().map(ToString::to_string).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl Channel for Email {
    fn name(&self) -> &str {
        &self.name
    }

    fn send<'a>(&'a self, notification: &'a Notification) -> SendFuture<'a> {
        Box::pin(self.send_notification(notification))
    }
}

/// `<idempotency key@detectviz>`: one notification, one Message-ID.
pub fn message_id(notification: &Notification) -> String {
    format!("<{}@detectviz>", notification.idempotency_key)
}

fn parse_mailbox(channel: &str, field: &str, address: &str) -> Result<Mailbox, ConfigError> {
    address.parse().map_err(|error| {
        ConfigError::invalid(channel, format!("`{field}` address `{address}`: {error}"))
    })
}

fn tls_parameters(config: &EmailConfig) -> Result<TlsParameters, ConfigError> {
    let name = config.name.as_str();
    let mut builder = TlsParameters::builder(config.host.clone());
    if let Some(ca_file) = &config.ca_file {
        let pem = std::fs::read(ca_file).map_err(|error| {
            ConfigError::invalid(
                name,
                format!("cannot read `ca_file` {}: {error}", ca_file.display()),
            )
        })?;
        let certificates = Certificate::from_pem(&pem).map_err(|error| {
            ConfigError::invalid(name, format!("`ca_file` {}: {error}", ca_file.display()))
        })?;
        builder = builder.add_root_certificate(certificates);
    }
    builder
        .build_rustls()
        .map_err(|error| ConfigError::invalid(name, format!("cannot set up tls: {error}")))
}

#[cfg(test)]
#[path = "email_tests.rs"]
mod tests;
