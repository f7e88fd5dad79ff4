//! The sending half of the pipeline: one delivery round lists the groups with due rows and,
//! for each group whose timers allow a send, takes all its due rows at once, so one
//! notification carries every alert queued in the group (as Alertmanager flushes an
//! aggregation group). It re-checks the mute stage against the live silences and
//! acknowledgements (a silence or an ack made while a group waited suppresses the send),
//! works through the due groups a slice of `2 × SEND_CONCURRENCY` at a time (so only that
//! slice's rows are in memory): moves the slice's rows to `sending` in one store transaction,
//! sends its groups concurrently (at most [`SEND_CONCURRENCY`] at a time), and records the
//! sent rows in one transaction, counting the outcome in the notifier's metrics. For a
//! receiver that is a contact group, each group is one contact, reached through the channel
//! aimed at them ([`crate::ChannelConfig::for_contact`]).
//!
//! Metrics: `detectviz_notifier_sent_total`, `_failed_total`, `_retried_total` and
//! `_suppressed_total` (rows, by `channel`), and the gauge `detectviz_notifier_queue_depth`
//! (rows pending, retrying or sending after the round).

use std::collections::{BTreeMap, HashSet};

use alert::MuteReason;
use detectviz::AlertTransition;
use futures::StreamExt;
use store::{DueGroup, NotificationRecord};

use super::{DeliveryReport, OutboxPayload, Pipeline};
use crate::channel::{Channel, Delivered};
use crate::error::{ChannelError, NotifierError};
use crate::group::GroupId;
use crate::mute::{DropReason, MuteContext};
use crate::notification::{Notification, NotificationContext};
use crate::retry::{RetryDecision, random_jitter, retry_decision};

/// Most groups one delivery round sends; a full round is followed by another at once.
pub const DUE_GROUPS: u32 = 1_000;

/// Most rows one grouped notification takes; the rest wait for the group's next interval.
pub const GROUP_ROWS: u32 = 10_000;

/// Most notifications in flight at once in a round.
pub const SEND_CONCURRENCY: usize = 32;

/// One due row with its payload's transitions, read once (the payload itself is dropped).
type DueRow = (NotificationRecord, Vec<AlertTransition>);

/// A group ready to be sent: its rows (owned, in `sending` once taken), and for a contact
/// the channel aimed at them.
struct ReadyGroup {
    group: GroupId,
    group_labels: BTreeMap<String, String>,
    rows: Vec<DueRow>,
    contact_channel: Option<Box<dyn Channel>>,
}

impl ReadyGroup {
    fn transitions(&self) -> impl Iterator<Item = &AlertTransition> {
        self.rows.iter().flat_map(|(_, transitions)| transitions)
    }
}

/// Reads a row's payload once: its group labels and transitions (none when unreadable).
fn read_row(mut record: NotificationRecord) -> (DueRow, Option<BTreeMap<String, String>>) {
    let payload = std::mem::take(&mut record.payload);
    match serde_json::from_value::<OutboxPayload>(payload) {
        Ok(payload) => ((record, payload.transitions), Some(payload.group_labels)),
        Err(error) => {
            tracing::warn!(notification = record.id, %error, "unreadable outbox payload");
            ((record, Vec::new()), None)
        }
    }
}

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
    /// One delivery round at `now_ms`: queues repeats, then sends every group that is due
    /// and whose timers allow it.
    pub async fn deliver_due(&self, now_ms: i64) -> Result<DeliveryReport, NotifierError> {
        self.enqueue_repeats(now_ms).await?;
        let notifications = self.store.notifications();
        let due_groups = notifications.list_due_groups(now_ms, DUE_GROUPS).await?;
        let mut report = DeliveryReport {
            due_groups: due_groups.len(),
            ..DeliveryReport::default()
        };
        if !due_groups.is_empty() {
            let mute = MuteContext::load(
                &self.store,
                &self.config.maintenance_windows,
                &self.config.inhibit_rules,
                now_ms,
            )
            .await?;
            // A slice of groups at a time: their rows are in memory only while they are sent.
            for due_slice in due_groups.chunks(2 * SEND_CONCURRENCY) {
                let ready = self
                    .take_ready_groups(due_slice.to_vec(), &mute, now_ms, &mut report)
                    .await?;
                self.send_ready_groups(ready, &mute, now_ms, &mut report)
                    .await?;
            }
        }
        let queued = notifications.count_queued().await?;
        metrics::gauge!("detectviz_notifier_queue_depth").set(queued as f64);
        Ok(report)
    }

    /// The due groups that may be sent now, each with all its due rows not muted since
    /// queueing, moved to `sending` in one transaction. Fully muted rows end `suppressed`.
    async fn take_ready_groups(
        &self,
        due_groups: Vec<DueGroup>,
        mute: &MuteContext,
        now_ms: i64,
        report: &mut DeliveryReport,
    ) -> Result<Vec<ReadyGroup>, NotifierError> {
        let notifications = self.store.notifications();
        let mut ready = Vec::new();
        for due in due_groups {
            let group = GroupId {
                group_key: due.group_key.clone(),
                receiver: due.receiver.clone(),
                channel: due.channel.clone(),
                contact_id: due.contact_id.clone(),
            };
            if !self.lock_state().timers.may_send(&group, now_ms) {
                report.waiting += 1;
                continue;
            }
            let records = notifications
                .list_due_in_group(&due, now_ms, GROUP_ROWS)
                .await?;
            if !self.channels.contains_key(&group.channel) {
                for record in &records {
                    notifications
                        .mark_failed(record.id, "the channel is no longer configured", now_ms)
                        .await?;
                }
                report.failed += records.len();
                count(
                    "detectviz_notifier_failed_total",
                    &group.channel,
                    records.len(),
                );
                continue;
            }
            let mut group_labels = None;
            let rows: Vec<DueRow> = records
                .into_iter()
                .map(|record| {
                    let (row, labels) = read_row(record);
                    if group_labels.is_none() {
                        group_labels = labels;
                    }
                    row
                })
                .collect();
            let contact_channel = match self.contact_channel(&group).await? {
                Ok(contact_channel) => contact_channel,
                Err(reason) => {
                    for (record, _) in &rows {
                        if notifications
                            .mark_suppressed(record.id, &reason, now_ms)
                            .await?
                        {
                            report.suppressed += 1;
                        }
                    }
                    continue;
                }
            };
            let rows = self
                .suppress_muted(&group, rows, mute, now_ms, report)
                .await?;
            if rows.is_empty() {
                self.lock_state().timers.forget_unsent(&group);
                continue;
            }
            if self
                .lock_state()
                .limiter
                .try_acquire(&group.channel, now_ms)
                .is_err()
            {
                report.rate_limited += 1;
                continue;
            }
            ready.push(ReadyGroup {
                group,
                group_labels: group_labels.unwrap_or_default(),
                rows,
                contact_channel,
            });
        }
        let ids: Vec<i64> = ready
            .iter()
            .flat_map(|group| group.rows.iter().map(|(record, _)| record.id))
            .collect();
        let owned: HashSet<i64> = notifications
            .begin_attempts(&ids, now_ms)
            .await?
            .into_iter()
            .collect();
        for group in &mut ready {
            group.rows.retain(|(record, _)| owned.contains(&record.id));
        }
        ready.retain(|group| !group.rows.is_empty());
        Ok(ready)
    }

    /// Marks `suppressed` the rows whose alerts were all muted or acknowledged since they
    /// were queued; returns the others.
    async fn suppress_muted(
        &self,
        group: &GroupId,
        rows: Vec<DueRow>,
        mute: &MuteContext,
        now_ms: i64,
        report: &mut DeliveryReport,
    ) -> Result<Vec<DueRow>, NotifierError> {
        let notifications = self.store.notifications();
        let mut rows_to_send = Vec::with_capacity(rows.len());
        for (record, transitions) in rows {
            let reasons: Vec<Option<String>> = transitions
                .iter()
                .map(|transition| is_muted(mute, transition, now_ms))
                .collect();
            let all_muted = !reasons.is_empty() && reasons.iter().all(Option::is_some);
            if !all_muted {
                rows_to_send.push((record, transitions));
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
        Ok(rows_to_send)
    }

    /// Sends the ready groups concurrently, then records the outcomes: the sent rows in one
    /// transaction, failures row by row with their retry decision.
    async fn send_ready_groups(
        &self,
        ready: Vec<ReadyGroup>,
        mute: &MuteContext,
        now_ms: i64,
        report: &mut DeliveryReport,
    ) -> Result<(), NotifierError> {
        let notifications = self.store.notifications();
        let mut unreadable = Vec::new();
        let mut sendable = Vec::new();
        for ready_group in ready {
            match self.build_notification(&ready_group, mute, now_ms) {
                Some(notification) => sendable.push((ready_group, notification)),
                None => unreadable.push(ready_group),
            }
        }
        for ready_group in unreadable {
            for (record, _) in &ready_group.rows {
                notifications
                    .mark_failed(record.id, "the stored payload is unreadable", now_ms)
                    .await?;
            }
            report.failed += ready_group.rows.len();
            let channel = &ready_group.group.channel;
            count(
                "detectviz_notifier_failed_total",
                channel,
                ready_group.rows.len(),
            );
        }
        let outcomes: Vec<(ReadyGroup, Result<Delivered, ChannelError>)> =
            futures::stream::iter(sendable)
                .map(|(ready_group, notification)| async move {
                    let sent = self.send_one(&ready_group, &notification).await;
                    (ready_group, sent)
                })
                .buffer_unordered(SEND_CONCURRENCY)
                .collect()
                .await;
        let mut sent_rows = Vec::new();
        let mut failed = Vec::new();
        for (ready_group, sent) in outcomes {
            let delivered = match sent {
                Ok(delivered) => delivered,
                Err(error) => {
                    failed.push((ready_group, error));
                    continue;
                }
            };
            for (record, _) in &ready_group.rows {
                sent_rows.push((record.id, delivered.provider_message_id.clone()));
            }
            let group = &ready_group.group;
            report.sent += ready_group.rows.len();
            count(
                "detectviz_notifier_sent_total",
                &group.channel,
                ready_group.rows.len(),
            );
            let transitions: Vec<AlertTransition> = ready_group.transitions().cloned().collect();
            self.lock_state().timers.record_sent(
                group,
                &ready_group.group_labels,
                &transitions,
                now_ms,
            );
        }
        notifications.mark_sent_many(&sent_rows, now_ms).await?;
        for (ready_group, error) in failed {
            let records: Vec<NotificationRecord> = ready_group
                .rows
                .into_iter()
                .map(|(record, _)| record)
                .collect();
            self.record_failure(&ready_group.group, &records, &error, now_ms, report)
                .await?;
        }
        Ok(())
    }

    /// For a group of a contact: the channel aimed at the contact (`Ok(None)` for other
    /// groups), or why the contact cannot be sent to any more (deleted, inactive, no address
    /// for this channel), which suppresses the group's rows.
    async fn contact_channel(
        &self,
        group: &GroupId,
    ) -> Result<Result<Option<Box<dyn Channel>>, String>, NotifierError> {
        if group.contact_id.is_empty() {
            return Ok(Ok(None));
        }
        let Some(contact) = self.store.contacts().get(&group.contact_id).await? else {
            return Ok(Err(format!("contact {} was deleted", group.contact_id)));
        };
        if !contact.active {
            return Ok(Err(format!("contact {} is inactive", contact.name)));
        }
        let aimed = self
            .config
            .channels
            .iter()
            .find(|config| config.name() == group.channel)
            .and_then(|config| config.for_contact(&contact));
        let Some(aimed) = aimed else {
            return Ok(Err(format!(
                "contact {} has no address for channel {}",
                contact.name, group.channel
            )));
        };
        Ok(aimed
            .build()
            .map(Some)
            .map_err(|error| format!("contact {}: {error}", contact.name)))
    }

    /// One attempt through the group's channel (or the one aimed at its contact), bounded by
    /// `send_timeout_ms`.
    async fn send_one(
        &self,
        ready_group: &ReadyGroup,
        notification: &Notification,
    ) -> Result<Delivered, ChannelError> {
        let group = &ready_group.group;
        let channel = match &ready_group.contact_channel {
            Some(contact_channel) => Some(contact_channel.as_ref()),
            None => self.channels.get(&group.channel).map(Box::as_ref),
        };
        let Some(channel) = channel else {
            return Err(ChannelError::InvalidMessage {
                channel: group.channel.clone(),
                reason: "the channel is no longer configured".to_string(),
            });
        };
        let timeout = std::time::Duration::from_millis(self.config.send_timeout_ms);
        match tokio::time::timeout(timeout, channel.send(notification)).await {
            Ok(sent) => sent,
            Err(_elapsed) => Err(ChannelError::TimedOut {
                channel: group.channel.clone(),
                peer: "the peer".to_string(),
            }),
        }
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
        ready_group: &ReadyGroup,
        mute: &MuteContext,
        now_ms: i64,
    ) -> Option<Notification> {
        if ready_group.rows.is_empty() {
            return None;
        }
        let mut transitions: Vec<AlertTransition> = self
            .lock_state()
            .timers
            .firing_alerts(&ready_group.group)
            .into_iter()
            .filter(|transition| is_muted(mute, transition, now_ms).is_none())
            .collect();
        transitions.extend(ready_group.transitions().cloned());
        let context = NotificationContext {
            group_key: ready_group.group.group_key.clone(),
            receiver: ready_group.group.receiver.clone(),
            group_labels: ready_group.group_labels.clone(),
            external_url: self.config.external_url.clone(),
        };
        Notification::from_transitions(context, &transitions).ok()
    }
}
