//! `detectviz notify test --channel NAME`: sends the sample alert group (two spindle
//! temperature alerts) through one configured channel, in one attempt, and prints what
//! happened: the provider's message id on success, the channel's error (which never holds
//! a URL or token) and exit code 1 on failure.

use std::path::Path;
use std::time::Duration;

use notifier::NotificationStatus;
use notifier::sample::sample_notification;

use super::CommandError;
use crate::cli::NotifyCommand;
use crate::config::load_config;

pub async fn run_notify_command(
    config_path: &Path,
    command: NotifyCommand,
) -> Result<(), CommandError> {
    let NotifyCommand::Test { channel, resolved } = command;
    let config = load_config(config_path)?;
    let Some(notifier_config) = config.notifier else {
        return Err(CommandError::Usage(format!(
            "{}: there is no [notifier] section, so no channel `{channel}`",
            config_path.display()
        )));
    };
    let Some(channel_config) = notifier_config
        .channels
        .iter()
        .find(|candidate| candidate.name() == channel)
    else {
        let known: Vec<&str> = notifier_config
            .channels
            .iter()
            .map(|candidate| candidate.name())
            .collect();
        return Err(CommandError::Usage(format!(
            "{}: no channel `{channel}` in [[notifier.channels]] (configured: {})",
            config_path.display(),
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        )));
    };
    let built = channel_config
        .build()
        .map_err(|error| CommandError::Usage(error.to_string()))?;
    let status = if resolved {
        NotificationStatus::Resolved
    } else {
        NotificationStatus::Firing
    };
    let notification = sample_notification(status);
    let timeout = Duration::from_millis(notifier_config.send_timeout_ms);
    let sent = tokio::time::timeout(timeout, built.send(&notification))
        .await
        .map_err(|_| {
            CommandError::Usage(format!(
                "channel `{channel}`: no answer within {} ms",
                notifier_config.send_timeout_ms
            ))
        })?;
    match sent {
        Ok(delivered) => {
            println!(
                "sent a sample {} notification through channel `{channel}` (provider message id: {})",
                status.as_str(),
                delivered.provider_message_id.as_deref().unwrap_or("none")
            );
            Ok(())
        }
        Err(error) => {
            let retry = if error.is_retryable() {
                "retryable: the notifier would try again"
            } else {
                "final: the notifier would not retry"
            };
            Err(CommandError::Usage(format!("{error} ({retry})")))
        }
    }
}
