//! The sending half of the pipeline: one delivery round takes the due rows, groups them,
//! re-checks the mute stage against the live silences and acknowledgements (a silence or an
//! ack made while a group waited suppresses the send), sends one notification per group and
//! records the outcome, counting it in the notifier's metrics.
//!
//! Metrics: `detectviz_notifier_sent_total`, `_failed_total`, `_retried_total` and
//! `_suppressed_total` (rows, by `channel`), and the gauge `detectviz_notifier_queue_depth`
//! (rows pending, retrying or sending after the round).

use std::collections::BTreeMap;

use alert::MuteReason;
use detectviz::AlertTransition;
use store::NotificationRecord;

use super::{DeliveryReport, OutboxPayload, Pipeline, payload_transitions};
use crate::error::{ChannelError, NotifierError};
use crate::group::GroupId;
use crate::mute::{DropReason, MuteContext};
use crate::notification::{Notification, NotificationContext};
use crate::retry::{RetryDecision, random_jitter, retry_decision};

/// Most due rows one delivery round takes.
pub const DUE_BATCH: u32 = 500;

/// Whether the alert is muted (silence, maintenance window, inhibition) or acknowledged now.
fn is_muted(mute: &MuteContext, transition: &AlertTransition, now_ms: i64) -> Option<String> {
    match mute.drop_reason(transition, now_ms)? {
        DropReason::Muted(MuteReason::Silenced { silence_id }) => {
            Some(format!("muted since queued: silence {silence_id}"))
        }
        DropReason::Muted(MuteReason::Maintenance { window_id }) => Some(format!(
            "muted since queued: maintenance window {window_id}"
        )),
        DropReason::Muted(MuteReason::Inhibited { source_fingerprint }) => Some(format!(
            "muted since queued: inhibited by alert {source_fingerprint}"
        )),
        DropReason::Acknowledged { by } => Some(format!("acknowledged by {by} since queued")),
        DropReason::NotNotifiable => None,
    }
}

fn count(name: &'static str, channel: &str, rows: usize) {
    metrics::counter!(name, "channel" => channel.to_string()).increment(rows as u64);
}

impl Pipeline {
    /// One delivery round at `now_ms`: queues repeats, then sends every due group.
    pub async fn deliver_due(&self, now_ms: i64) -> Result<DeliveryReport, NotifierError> {
        self.enqueue_repeats(now_ms).await?;
        let notifications = self.store.notifications();
        let due = notifications.list_due(now_ms, DUE_BATCH).await?;
        let mut report = DeliveryReport::default();
        if !due.is_empty() {
            let mut groups: BTreeMap<GroupId, Vec<NotificationRecord>> = BTreeMap::new();
            for record in due {
                let group = GroupId {
                    group_key: record.group_key.clone(),
                    receiver: record.receiver.clone(),
                    channel: record.channel.clone(),
                };
                groups.entry(group).or_default().push(record);
            }
            let mute = MuteContext::load(
                &self.store,
                &self.config.maintenance_windows,
                &self.config.inhibit_rules,
                now_ms,
            )
            .await?;
            for (group, records) in groups {
                self.deliver_group(&group, records, &mute, now_ms, &mut report)
                    .await?;
            }
        }
        let queued = notifications.count_queued().await?;
        metrics::gauge!("detectviz_notifier_queue_depth").set(queued as f64);
        Ok(report)
    }

    async fn deliver_group(
        &self,
        group: &GroupId,
        records: Vec<NotificationRecord>,
        mute: &MuteContext,
        now_ms: i64,
        report: &mut DeliveryReport,
    ) -> Result<(), NotifierError> {
        let notifications = self.store.notifications();
        let Some(channel) = self.channels.get(&group.channel) else {
            for record in &records {
                notifications
                    .mark_failed(record.id, "the channel is no longer configured", now_ms)
                    .await?;
                report.failed += 1;
            }
            count(
                "detectviz_notifier_failed_total",
                &group.channel,
                records.len(),
            );
            return Ok(());
        };
        let mut records_to_send = Vec::new();
        for record in records {
            let transitions = payload_transitions(std::slice::from_ref(&record));
            let reasons: Vec<Option<String>> = transitions
                .iter()
                .map(|transition| is_muted(mute, transition, now_ms))
                .collect();
            let all_muted = !reasons.is_empty() && reasons.iter().all(Option::is_some);
            if !all_muted {
                records_to_send.push(record);
                continue;
            }
            let reason = reasons.into_iter().flatten().next().unwrap_or_default();
            if notifications
                .mark_suppressed(record.id, &reason, now_ms)
                .await?
            {
                report.suppressed += 1;
                count("detectviz_notifier_suppressed_total", &group.channel, 1);
            }
        }
        if records_to_send.is_empty() {
            self.lock_state().timers.forget_unsent(group);
            return Ok(());
        }
        if self
            .lock_state()
            .limiter
            .try_acquire(&group.channel, now_ms)
            .is_err()
        {
            report.rate_limited += 1;
            return Ok(());
        }
        let mut owned = Vec::new();
        for record in records_to_send {
            if notifications.begin_attempt(record.id, now_ms).await? {
                owned.push(record);
            }
        }
        if owned.is_empty() {
            return Ok(());
        }
        let group_labels = serde_json::from_value::<OutboxPayload>(owned[0].payload.clone())
            .map(|payload| payload.group_labels)
            .unwrap_or_default();
        let Some(notification) =
            self.build_notification(group, &group_labels, &owned, mute, now_ms)
        else {
            for record in &owned {
                notifications
                    .mark_failed(record.id, "the stored payload is unreadable", now_ms)
                    .await?;
                report.failed += 1;
            }
            count(
                "detectviz_notifier_failed_total",
                &group.channel,
                owned.len(),
            );
            return Ok(());
        };
        let timeout = std::time::Duration::from_millis(self.config.send_timeout_ms);
        let sent = match tokio::time::timeout(timeout, channel.send(&notification)).await {
            Ok(sent) => sent,
            Err(_elapsed) => Err(ChannelError::TimedOut {
                channel: group.channel.clone(),
                peer: "the peer".to_string(),
            }),
        };
        match sent {
            Ok(delivered) => {
                for record in &owned {
                    notifications
                        .mark_sent(record.id, delivered.provider_message_id.as_deref(), now_ms)
                        .await?;
                    report.sent += 1;
                }
                count("detectviz_notifier_sent_total", &group.channel, owned.len());
                let transitions = payload_transitions(&owned);
                self.lock_state()
                    .timers
                    .record_sent(group, &group_labels, &transitions, now_ms);
            }
            Err(error) => {
                self.record_failure(group, &owned, &error, now_ms, report)
                    .await?;
            }
        }
        Ok(())
    }

    async fn record_failure(
        &self,
        group: &GroupId,
        owned: &[NotificationRecord],
        error: &ChannelError,
        now_ms: i64,
        report: &mut DeliveryReport,
    ) -> Result<(), NotifierError> {
        let notifications = self.store.notifications();
        let message = error.to_string();
        tracing::warn!(channel = %group.channel, error = %message, "notification failed");
        for record in owned {
            let attempts = record.attempts.saturating_add(1);
            match retry_decision(&self.config.retry, error, attempts, random_jitter()) {
                RetryDecision::RetryAfter(delay) => {
                    let delay_ms = i64::try_from(delay.as_millis()).unwrap_or(i64::MAX);
                    let next_attempt_at_ms = now_ms.saturating_add(delay_ms);
                    notifications
                        .mark_retrying(record.id, &message, next_attempt_at_ms, now_ms)
                        .await?;
                    report.retrying += 1;
                    count("detectviz_notifier_retried_total", &group.channel, 1);
                }
                RetryDecision::GiveUp => {
                    notifications
                        .mark_failed(record.id, &message, now_ms)
                        .await?;
                    report.failed += 1;
                    count("detectviz_notifier_failed_total", &group.channel, 1);
                }
            }
        }
        Ok(())
    }

    /// The group's notification: the rows' transitions plus its other alerts still firing
    /// and not muted since they were last sent.
    fn build_notification(
        &self,
        group: &GroupId,
        group_labels: &BTreeMap<String, String>,
        records: &[NotificationRecord],
        mute: &MuteContext,
        now_ms: i64,
    ) -> Option<Notification> {
        if records.is_empty() {
            return None;
        }
        let mut transitions: Vec<AlertTransition> = self
            .lock_state()
            .timers
            .firing_alerts(group)
            .into_iter()
            .filter(|transition| is_muted(mute, transition, now_ms).is_none())
            .collect();
        transitions.extend(payload_transitions(records));
        let context = NotificationContext {
            group_key: group.group_key.clone(),
            receiver: group.receiver.clone(),
            group_labels: group_labels.clone(),
            external_url: self.config.external_url.clone(),
        };
        Notification::from_transitions(context, &transitions).ok()
    }
}
