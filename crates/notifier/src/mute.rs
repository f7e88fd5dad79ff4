//! The mute stage: whether a transition is notified at all. Dropped are transitions the
//! alert engine marked `notify = false` (flapping), alerts muted by a silence, a maintenance
//! window or an inhibition (the alert crate's [`alert::mute_reason`]), and alerts whose
//! acknowledgement still holds notifications ([`alert::Acknowledgement`]).
//!
//! [`MuteContext::load`] reads the live inputs (active silences, firing alerts, acks) from the
//! store; the decision itself, [`MuteContext::drop_reason`], is pure.

use std::collections::BTreeMap;

use alert::{
    Acknowledgement, ApiMatcher, InhibitRule, LabelMatcher, MaintenanceWindow, MuteReason, Silence,
};
use detectviz::{AlertTransition, Labels, Severity};
use store::{AlertFilter, Store, StoreError};

/// Why a transition is not notified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DropReason {
    /// The alert engine said not to notify (e.g. while flapping).
    NotNotifiable,
    Muted(MuteReason),
    /// Acknowledged at a level at or above the current one, and still active.
    Acknowledged {
        by: String,
    },
}

/// Everything the mute decision needs, read once per event.
#[derive(Debug, Clone, Default)]
pub struct MuteContext {
    pub silences: Vec<Silence>,
    pub maintenance_windows: Vec<MaintenanceWindow>,
    pub inhibit_rules: Vec<InhibitRule>,
    /// Labels of the alerts firing now (inhibition sources).
    pub firing_alerts: Vec<Labels>,
    /// Acknowledgements by alert fingerprint.
    pub acknowledgements: BTreeMap<String, Acknowledgement>,
}

impl MuteContext {
    /// Why `transition` must not be notified at `now_ms`, or `None` to notify it.
    pub fn drop_reason(&self, transition: &AlertTransition, now_ms: i64) -> Option<DropReason> {
        if !transition.notify {
            return Some(DropReason::NotNotifiable);
        }
        if let Some(reason) = alert::mute_reason(
            &transition.labels,
            now_ms,
            &self.silences,
            &self.maintenance_windows,
            &self.inhibit_rules,
            &self.firing_alerts,
        ) {
            return Some(DropReason::Muted(reason));
        }
        let acknowledgement = self.acknowledgements.get(&transition.fingerprint)?;
        acknowledgement
            .holds_notifications(transition.severity, transition.to)
            .then(|| DropReason::Acknowledged {
                by: acknowledgement.by.clone(),
            })
    }

    /// Reads active silences, firing alerts and acknowledgements from the store; windows and
    /// inhibition rules come from the configuration. Unreadable silences are skipped (logged).
    pub async fn load(
        store: &Store,
        maintenance_windows: &[MaintenanceWindow],
        inhibit_rules: &[InhibitRule],
        now_ms: i64,
    ) -> Result<MuteContext, StoreError> {
        let silences = store
            .silences()
            .list_active(now_ms)
            .await?
            .into_iter()
            .filter_map(|record| {
                let matchers = matchers_from_json(&record.matchers);
                if matchers.is_none() {
                    tracing::warn!(silence = %record.id, "stored silence matchers do not parse; ignored");
                }
                Some(Silence {
                    id: record.id,
                    matchers: matchers?,
                    starts_at_ms: record.starts_at_ms,
                    ends_at_ms: record.ends_at_ms,
                    created_by: record.created_by,
                    comment: record.comment,
                })
            })
            .collect();
        let firing_filter = AlertFilter {
            state: Some("firing".to_string()),
            ..AlertFilter::default()
        };
        let firing = store.alerts().list(&firing_filter).await?;
        let firing_alerts = firing
            .iter()
            .map(|record| Labels(record.current.labels.clone()))
            .collect();
        let mut acknowledgements = BTreeMap::new();
        for record in &firing {
            let Some(ack) = &record.acknowledgement else {
                continue;
            };
            let severity_at_ack = ack
                .severity_at_ack
                .parse::<Severity>()
                .unwrap_or(Severity::Critical);
            acknowledgements.insert(
                record.current.fingerprint.clone(),
                Acknowledgement {
                    fingerprint: record.current.fingerprint.clone(),
                    by: ack.by.clone(),
                    at_ms: ack.at_ms,
                    comment: ack.comment.clone(),
                    severity_at_ack,
                },
            );
        }
        Ok(MuteContext {
            silences,
            maintenance_windows: maintenance_windows.to_vec(),
            inhibit_rules: inhibit_rules.to_vec(),
            firing_alerts,
            acknowledgements,
        })
    }
}

/// Silence matchers as stored: Alertmanager API matchers, or `{ name, op, value }`.
fn matchers_from_json(json: &serde_json::Value) -> Option<Vec<LabelMatcher>> {
    if let Ok(api_matchers) = serde_json::from_value::<Vec<ApiMatcher>>(json.clone()) {
        return api_matchers
            .iter()
            .map(ApiMatcher::to_label_matcher)
            .collect::<Result<Vec<_>, _>>()
            .ok();
    }
    serde_json::from_value::<Vec<LabelMatcher>>(json.clone()).ok()
}

#[cfg(test)]
#[path = "mute_tests.rs"]
mod tests;
