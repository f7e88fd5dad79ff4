//! Why an alert should not be notified right now: a silence, a maintenance window or an
//! inhibition. Acknowledgements are separate (see [`crate::ack`]): they hold repeats, not
//! the first notification.

use detectviz::Labels;
use serde::{Deserialize, Serialize};

use crate::fingerprint::{fingerprint_hex, label_set_fingerprint};
use crate::{InhibitRule, MaintenanceWindow, Silence};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum MuteReason {
    Silenced {
        silence_id: String,
    },
    Maintenance {
        window_id: String,
    },
    /// Muted by the firing alert whose label-set fingerprint is given.
    Inhibited {
        source_fingerprint: String,
    },
}

/// The first reason that mutes the alert: silences first, then maintenance windows, then
/// inhibition by the currently firing alerts (their labels).
pub fn mute_reason(
    labels: &Labels,
    now_ms: i64,
    silences: &[Silence],
    windows: &[MaintenanceWindow],
    inhibitions: &[InhibitRule],
    firing_alerts: &[Labels],
) -> Option<MuteReason> {
    if let Some(silence) = silences
        .iter()
        .find(|silence| silence.mutes(labels, now_ms))
    {
        return Some(MuteReason::Silenced {
            silence_id: silence.id.clone(),
        });
    }
    if let Some(window) = windows.iter().find(|window| window.mutes(labels, now_ms)) {
        return Some(MuteReason::Maintenance {
            window_id: window.id.clone(),
        });
    }
    inhibitions.iter().find_map(|rule| {
        let source = rule.inhibiting_source(labels, firing_alerts)?;
        Some(MuteReason::Inhibited {
            source_fingerprint: fingerprint_hex(label_set_fingerprint(source)),
        })
    })
}
