//! The notification model: one message for one receiver about one group of alerts.
//!
//! Built from the alert engine's [`AlertTransition`]s by [`Notification::from_transitions`];
//! the channels render it (see [`crate::render`]) into their wire formats.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use detectviz::{AlertPhase, AlertTransition, Severity};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::NotificationError;
use crate::render::{Language, render_title};

/// Whether a notification (or one alert in it) reports a problem or its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NotificationStatus {
    Firing,
    Resolved,
}

impl NotificationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationStatus::Firing => "firing",
            NotificationStatus::Resolved => "resolved",
        }
    }
}

/// One alert inside a notification.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NotificationAlert {
    pub fingerprint: String,
    pub status: NotificationStatus,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub severity: Severity,
    pub starts_at: DateTime<Utc>,
    /// When the alert resolved; `None` while it fires.
    pub ends_at: Option<DateTime<Utc>>,
    pub value: Option<f64>,
    pub generator_url: Option<String>,
}

impl NotificationAlert {
    /// The `alertname` label, or the fingerprint when the label is missing.
    pub fn alert_name(&self) -> &str {
        self.labels
            .get("alertname")
            .map(String::as_str)
            .unwrap_or(&self.fingerprint)
    }
}

/// What the pipeline knows about a group when it asks for a notification.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NotificationContext {
    /// Route path and group labels, e.g. `{}:{alertname="TemperatureHigh"}`.
    pub group_key: String,
    /// The receiver (contact group or channel) the notification is for.
    pub receiver: String,
    /// The labels the route groups by, with the group's values.
    pub group_labels: BTreeMap<String, String>,
    /// Base URL of the Detectviz console, e.g. `https://detectviz.plant-a.example`.
    pub external_url: String,
}

/// One message for one receiver about one group of alerts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Notification {
    pub group_key: String,
    pub receiver: String,
    /// `firing` when any alert fires, else `resolved`.
    pub status: NotificationStatus,
    /// Firing alerts first, then by alert name and fingerprint.
    pub alerts: Vec<NotificationAlert>,
    pub common_labels: BTreeMap<String, String>,
    pub common_annotations: BTreeMap<String, String>,
    pub group_labels: BTreeMap<String, String>,
    pub external_url: String,
    /// Short English title; channels render their own in their configured language.
    pub title: String,
    /// Stable for the same (group key, receiver, transitions): a redelivered event yields the
    /// same key, so peers that deduplicate (LINE's retry key, email Message-ID) see one message.
    pub idempotency_key: String,
}

impl Notification {
    /// Builds the notification for `context` from the transitions of its alerts. When one
    /// fingerprint appears more than once, its latest transition wins.
    pub fn from_transitions(
        context: NotificationContext,
        transitions: &[AlertTransition],
    ) -> Result<Notification, NotificationError> {
        let latest_per_fingerprint = latest_transition_per_fingerprint(transitions);
        if latest_per_fingerprint.is_empty() {
            return Err(NotificationError::NoTransitions);
        }
        let idempotency_key = idempotency_key(&context, &latest_per_fingerprint);
        let mut alerts: Vec<NotificationAlert> = latest_per_fingerprint
            .values()
            .map(|transition| alert_from_transition(transition, &context.external_url))
            .collect();
        alerts.sort_by(|left, right| {
            (
                left.status != NotificationStatus::Firing,
                left.alert_name(),
                &left.fingerprint,
            )
                .cmp(&(
                    right.status != NotificationStatus::Firing,
                    right.alert_name(),
                    &right.fingerprint,
                ))
        });
        let any_firing = alerts
            .iter()
            .any(|alert| alert.status == NotificationStatus::Firing);
        let status = if any_firing {
            NotificationStatus::Firing
        } else {
            NotificationStatus::Resolved
        };
        let common_labels = common_entries(alerts.iter().map(|alert| &alert.labels));
        let common_annotations = common_entries(alerts.iter().map(|alert| &alert.annotations));
        let mut notification = Notification {
            group_key: context.group_key,
            receiver: context.receiver,
            status,
            alerts,
            common_labels,
            common_annotations,
            group_labels: context.group_labels,
            external_url: context.external_url,
            title: String::new(),
            idempotency_key,
        };
        notification.title = render_title(&notification, Language::En);
        Ok(notification)
    }

    /// The alerts that fire, in order.
    pub fn firing_alerts(&self) -> impl Iterator<Item = &NotificationAlert> {
        self.alerts
            .iter()
            .filter(|alert| alert.status == NotificationStatus::Firing)
    }

    /// The highest severity among the alerts that give the notification its status.
    pub fn highest_severity(&self) -> Severity {
        self.alerts
            .iter()
            .filter(|alert| alert.status == self.status)
            .map(|alert| alert.severity)
            .max()
            .unwrap_or(Severity::Info)
    }

    /// The group's alert name: the common `alertname` label, else the first alert's.
    pub fn alert_name(&self) -> &str {
        if let Some(name) = self.common_labels.get("alertname") {
            return name;
        }
        self.alerts
            .first()
            .map(NotificationAlert::alert_name)
            .unwrap_or("")
    }
}

fn latest_transition_per_fingerprint(
    transitions: &[AlertTransition],
) -> BTreeMap<&str, &AlertTransition> {
    let mut latest: BTreeMap<&str, &AlertTransition> = BTreeMap::new();
    for transition in transitions {
        let is_newer = latest
            .get(transition.fingerprint.as_str())
            .is_none_or(|existing| existing.at_ms <= transition.at_ms);
        if is_newer {
            latest.insert(&transition.fingerprint, transition);
        }
    }
    latest
}

fn alert_from_transition(transition: &AlertTransition, external_url: &str) -> NotificationAlert {
    let status = if transition.to == AlertPhase::Resolved {
        NotificationStatus::Resolved
    } else {
        NotificationStatus::Firing
    };
    let starts_at_ms = transition.active_since_ms.unwrap_or(transition.at_ms);
    let ends_at = match status {
        NotificationStatus::Resolved => Some(time_from_unix_ms(transition.at_ms)),
        NotificationStatus::Firing => None,
    };
    let generator_url = if external_url.is_empty() {
        None
    } else {
        Some(format!(
            "{}/alerts/{}",
            external_url.trim_end_matches('/'),
            transition.fingerprint
        ))
    };
    NotificationAlert {
        fingerprint: transition.fingerprint.clone(),
        status,
        labels: transition.labels.0.clone(),
        annotations: transition.annotations.clone(),
        severity: transition.severity,
        starts_at: time_from_unix_ms(starts_at_ms),
        ends_at,
        value: transition.value,
        generator_url,
    }
}

fn time_from_unix_ms(unix_ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(unix_ms).unwrap_or(DateTime::UNIX_EPOCH)
}

/// The entries every map has with the same value.
fn common_entries<'a>(
    mut maps: impl Iterator<Item = &'a BTreeMap<String, String>>,
) -> BTreeMap<String, String> {
    let Some(first) = maps.next() else {
        return BTreeMap::new();
    };
    let mut common = first.clone();
    for map in maps {
        common.retain(|name, value| map.get(name) == Some(value));
    }
    common
}

fn idempotency_key(
    context: &NotificationContext,
    transitions: &BTreeMap<&str, &AlertTransition>,
) -> String {
    let mut hasher = Sha256::new();
    for part in [context.group_key.as_str(), context.receiver.as_str()] {
        hasher.update(part.as_bytes());
        hasher.update([0u8]);
    }
    for (fingerprint, transition) in transitions {
        hasher.update(fingerprint.as_bytes());
        hasher.update([0u8]);
        hasher.update(transition.kind.as_str().as_bytes());
        hasher.update([0u8]);
        hasher.update(transition.at_ms.to_be_bytes());
    }
    let digest = hasher.finalize();
    digest[..16]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[cfg(test)]
#[path = "notification_tests.rs"]
mod tests;
