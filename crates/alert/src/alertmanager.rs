//! Alertmanager API v2 shapes, and the in-memory state machine for alerts pushed to
//! `POST /api/v2/alerts` by Prometheus or Grafana.
//!
//! Field names follow Alertmanager's OpenAPI spec (`startsAt`, `generatorURL`, `isRegex`, ...).
//! Inbound shapes ignore unknown fields, as Alertmanager's clients expect. Go's zero time
//! (`0001-01-01T00:00:00Z`, which Grafana sends as the `endsAt` of firing alerts) reads as
//! "not set". The silence shapes are in [`crate::alertmanager_silence`].
//!
//! [`ExternalAlerts`] follows Alertmanager's rules: an alert whose `endsAt` has passed is
//! resolved; an alert sent without `endsAt` resolves when it is not sent again within the
//! resolve timeout (default 5 minutes). Its transitions have the same shape as rule alerts'
//! (rule id `alertmanager`, rule name = `alertname`), so they flow the same way.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Utc};
use detectviz::{AlertPhase, AlertTransition, Labels, SeriesKey, Severity, TransitionKind};
use serde::{Deserialize, Serialize};

use crate::AlertError;
use crate::fingerprint::{fingerprint_hex, label_set_fingerprint};

/// Rule id carried by transitions of external alerts.
pub const EXTERNAL_RULE_ID: &str = "alertmanager";
/// Alertmanager's default `resolve_timeout`.
pub const DEFAULT_RESOLVE_TIMEOUT_MS: i64 = 5 * 60 * 1000;

/// One element of the `POST /api/v2/alerts` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostableAlert {
    pub labels: Labels,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starts_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_at: Option<DateTime<Utc>>,
    #[serde(
        rename = "generatorURL",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub generator_url: Option<String>,
}

/// `status.state` of a gettable alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertStatusState {
    Unprocessed,
    Active,
    Suppressed,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertStatus {
    pub state: AlertStatusState,
    #[serde(default)]
    pub silenced_by: Vec<String>,
    #[serde(default)]
    pub inhibited_by: Vec<String>,
    #[serde(default)]
    pub muted_by: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receiver {
    pub name: String,
}

/// One element of the `GET /api/v2/alerts` answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GettableAlert {
    pub labels: Labels,
    pub annotations: BTreeMap<String, String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    #[serde(rename = "generatorURL", default)]
    pub generator_url: String,
    pub fingerprint: String,
    pub status: AlertStatus,
    pub receivers: Vec<Receiver>,
    pub updated_at: DateTime<Utc>,
}

/// One alert received from outside, as remembered between posts.
#[derive(Debug, Clone, PartialEq)]
pub struct ExternalAlert {
    pub fingerprint: String,
    pub labels: Labels,
    pub annotations: BTreeMap<String, String>,
    pub generator_url: Option<String>,
    pub phase: AlertPhase,
    pub starts_at_ms: i64,
    /// The sender's `endsAt`, or last receipt + resolve timeout when it sent none.
    pub ends_at_ms: i64,
    pub updated_at_ms: i64,
}

impl ExternalAlert {
    /// The API view; `silenced_by` and `inhibited_by` come from the caller's mute check.
    pub fn to_gettable(
        &self,
        receivers: &[String],
        silenced_by: Vec<String>,
        inhibited_by: Vec<String>,
    ) -> GettableAlert {
        let suppressed = !silenced_by.is_empty() || !inhibited_by.is_empty();
        GettableAlert {
            labels: self.labels.clone(),
            annotations: self.annotations.clone(),
            starts_at: datetime_from_ms(self.starts_at_ms),
            ends_at: datetime_from_ms(self.ends_at_ms),
            generator_url: self.generator_url.clone().unwrap_or_default(),
            fingerprint: self.fingerprint.clone(),
            status: AlertStatus {
                state: if suppressed {
                    AlertStatusState::Suppressed
                } else {
                    AlertStatusState::Active
                },
                silenced_by,
                inhibited_by,
                muted_by: Vec::new(),
            },
            receivers: receivers
                .iter()
                .map(|name| Receiver { name: name.clone() })
                .collect(),
            updated_at: datetime_from_ms(self.updated_at_ms),
        }
    }
}

/// The external alerts known now, keyed by fingerprint.
#[derive(Debug, Clone)]
pub struct ExternalAlerts {
    alerts: BTreeMap<String, ExternalAlert>,
    resolve_timeout_ms: i64,
}

impl Default for ExternalAlerts {
    fn default() -> Self {
        ExternalAlerts::new(DEFAULT_RESOLVE_TIMEOUT_MS)
    }
}

/// Go's zero time and anything before 1970 count as "not set".
fn meaningful_ms(time: Option<DateTime<Utc>>) -> Option<i64> {
    time.filter(|time| time.year() > 1)
        .map(|time| time.timestamp_millis())
        .filter(|ms| *ms > 0)
}

pub fn datetime_from_ms(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

impl ExternalAlerts {
    pub fn new(resolve_timeout_ms: i64) -> ExternalAlerts {
        ExternalAlerts {
            alerts: BTreeMap::new(),
            resolve_timeout_ms,
        }
    }

    pub fn get(&self, fingerprint: &str) -> Option<&ExternalAlert> {
        self.alerts.get(fingerprint)
    }

    /// Every remembered alert, firing and recently resolved, in fingerprint order.
    pub fn alerts(&self) -> impl Iterator<Item = &ExternalAlert> {
        self.alerts.values()
    }

    /// Takes one posted alert at `now_ms`; invalid alerts are rejected without side effects.
    pub fn receive(
        &mut self,
        posted: &PostableAlert,
        now_ms: i64,
    ) -> Result<Vec<AlertTransition>, AlertError> {
        let alertname = posted.labels.get("alertname").unwrap_or("");
        if alertname.is_empty() {
            return Err(AlertError::InvalidExternalAlert {
                reason: "label `alertname` is required".to_string(),
            });
        }
        let starts_at_ms = meaningful_ms(posted.starts_at).unwrap_or(now_ms);
        let explicit_end_ms = meaningful_ms(posted.ends_at);
        if explicit_end_ms.is_some_and(|end_ms| end_ms < starts_at_ms) {
            return Err(AlertError::InvalidExternalAlert {
                reason: format!("alert `{alertname}` ends before it starts"),
            });
        }
        let ends_at_ms = explicit_end_ms.unwrap_or(now_ms + self.resolve_timeout_ms);
        let is_resolved = ends_at_ms <= now_ms;
        let fingerprint = fingerprint_hex(label_set_fingerprint(&posted.labels));
        let mut transitions = Vec::new();
        let Some(known) = self.alerts.get_mut(&fingerprint) else {
            if is_resolved {
                // Resolved before we ever saw it firing: nothing to tell anyone.
                return Ok(transitions);
            }
            let alert = ExternalAlert {
                fingerprint: fingerprint.clone(),
                labels: posted.labels.clone(),
                annotations: posted.annotations.clone(),
                generator_url: posted.generator_url.clone(),
                phase: AlertPhase::Firing,
                starts_at_ms,
                ends_at_ms,
                updated_at_ms: now_ms,
            };
            transitions.push(external_transition(&alert, AlertPhase::Inactive, now_ms));
            self.alerts.insert(fingerprint, alert);
            return Ok(transitions);
        };
        let was = known.phase;
        known.annotations = posted.annotations.clone();
        known.generator_url = posted.generator_url.clone();
        known.updated_at_ms = now_ms;
        known.ends_at_ms = ends_at_ms;
        match (was, is_resolved) {
            (AlertPhase::Firing, true) => {
                known.phase = AlertPhase::Resolved;
                transitions.push(external_transition(known, was, now_ms));
            }
            (AlertPhase::Firing, false) => {
                known.starts_at_ms = known.starts_at_ms.min(starts_at_ms);
            }
            (_, false) => {
                known.phase = AlertPhase::Firing;
                known.starts_at_ms = starts_at_ms;
                transitions.push(external_transition(known, was, now_ms));
            }
            (_, true) => {}
        }
        Ok(transitions)
    }

    /// Takes a whole posted batch: valid alerts are taken even when others are rejected.
    /// Rejections come back with their position in the batch.
    pub fn receive_all(
        &mut self,
        posted: &[PostableAlert],
        now_ms: i64,
    ) -> (Vec<AlertTransition>, Vec<(usize, AlertError)>) {
        let mut transitions = Vec::new();
        let mut rejected = Vec::new();
        for (position, alert) in posted.iter().enumerate() {
            match self.receive(alert, now_ms) {
                Ok(more) => transitions.extend(more),
                Err(error) => rejected.push((position, error)),
            }
        }
        (transitions, rejected)
    }

    /// Resolves alerts whose end has passed (at their end time) and forgets alerts resolved
    /// longer than the resolve timeout ago.
    pub fn tick(&mut self, now_ms: i64) -> Vec<AlertTransition> {
        let mut transitions = Vec::new();
        for alert in self.alerts.values_mut() {
            if alert.phase == AlertPhase::Firing && alert.ends_at_ms <= now_ms {
                alert.phase = AlertPhase::Resolved;
                transitions.push(external_transition(
                    alert,
                    AlertPhase::Firing,
                    alert.ends_at_ms,
                ));
            }
        }
        let forget_before_ms = now_ms - self.resolve_timeout_ms;
        self.alerts.retain(|_, alert| {
            alert.phase == AlertPhase::Firing || alert.ends_at_ms > forget_before_ms
        });
        transitions
    }
}

fn external_transition(alert: &ExternalAlert, from: AlertPhase, at_ms: i64) -> AlertTransition {
    let alertname = alert
        .labels
        .get("alertname")
        .unwrap_or_default()
        .to_string();
    let severity = alert
        .labels
        .get("severity")
        .and_then(|text| text.parse::<Severity>().ok())
        .unwrap_or(Severity::Warning);
    let kind = match alert.phase {
        AlertPhase::Resolved => TransitionKind::Resolved,
        _ => TransitionKind::Firing,
    };
    AlertTransition {
        fingerprint: alert.fingerprint.clone(),
        rule_id: EXTERNAL_RULE_ID.to_string(),
        rule_name: alertname.clone(),
        series: SeriesKey {
            measurement: EXTERNAL_RULE_ID.to_string(),
            tags: alert.labels.clone(),
            field: alertname,
        },
        labels: alert.labels.clone(),
        annotations: alert.annotations.clone(),
        kind,
        from,
        to: alert.phase,
        severity,
        previous_severity: None,
        value: None,
        at_ms,
        active_since_ms: Some(alert.starts_at_ms),
        flapping: false,
        notify: true,
    }
}
