//! The notification pipeline: route → mute → group → rate limit → send with retries →
//! record, around the channels, with the store's `notifications` table as a durable outbox.
//!
//! [`Pipeline::enqueue_all`] runs for each read of the bus: it drops what the engine marked
//! not notifiable, routes the rest, and writes one `pending` row per (group, receiver,
//! channel, transition), keyed by an idempotency key and due when the group's timers allow,
//! all in one store transaction. Once it returns, the work is durable and the bus entries may
//! be acknowledged; a redelivered event finds its rows and adds nothing.
//! [`Pipeline::deliver_due`] runs on a tick: it queues repeats, lists the groups with due
//! rows and, for each group whose timers allow it, takes every due row of the group, so one
//! notification carries all the alerts queued in it; it marks them `sending`, sends the
//! groups concurrently and marks the rows `sent`, `retrying` (with backoff) or `failed`;
//! rows whose alerts were all silenced or acknowledged while they waited end `suppressed`
//! without a send. Rows a crash left in `sending` are requeued at start
//! ([`Pipeline::resume`]).

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use detectviz::AlertTransition;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use store::{ContactRecord, NewNotification, Store};

use crate::channel::Channel;
use crate::config::NotifierConfig;
use crate::error::NotifierError;
use crate::group::{GroupId, GroupTimers, GroupTiming};
use crate::mute::{DropReason, MuteContext};
use crate::retry::RateLimiter;
use crate::route::route;

#[path = "pipeline_delivery.rs"]
mod delivery;

pub use delivery::{DUE_GROUPS, GROUP_ROWS, SEND_CONCURRENCY};

/// What a `notifications` row carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxPayload {
    pub group_labels: BTreeMap<String, String>,
    pub transitions: Vec<AlertTransition>,
}

impl DeliveryReport {
    /// Rows that reached a new status in the round (rate-limited groups not counted).
    pub fn handled(&self) -> usize {
        self.sent + self.retrying + self.failed + self.suppressed
    }
}

/// What one delivery round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
    /// Rows not sent because every alert in them was muted or acknowledged since queueing.
    pub suppressed: usize,
    /// Groups left for a later round by the rate limit.
    pub rate_limited: usize,
    /// Groups with due rows held back because their `group_interval` has not passed.
    pub waiting: usize,
    /// Groups with due rows at the start of the round (at most [`DUE_GROUPS`]).
    pub due_groups: usize,
}

#[derive(Debug)]
struct PipelineState {
    timers: GroupTimers,
    limiter: RateLimiter,
}

/// The pipeline: configuration, built channels, the store, and the in-memory timers.
#[derive(Debug)]
pub struct Pipeline {
    config: NotifierConfig,
    channels: HashMap<String, Box<dyn Channel>>,
    store: Store,
    state: Mutex<PipelineState>,
}

impl Pipeline {
    /// Validates the configuration and builds every channel.
    pub fn new(config: NotifierConfig, store: Store) -> Result<Pipeline, NotifierError> {
        config.validate()?;
        let mut channels = HashMap::new();
        for channel_config in &config.channels {
            channels.insert(channel_config.name().to_string(), channel_config.build()?);
        }
        let state = Mutex::new(PipelineState {
            timers: GroupTimers::new(),
            limiter: RateLimiter::new(config.rate_limit),
        });
        Ok(Pipeline {
            config,
            channels,
            store,
            state,
        })
    }

    pub fn config(&self) -> &NotifierConfig {
        &self.config
    }

    /// Puts rows a crashed run left in `sending` back in the queue; call once before sending.
    pub async fn resume(&self, now_ms: i64) -> Result<u64, NotifierError> {
        Ok(self.store.notifications().requeue_sending(now_ms).await?)
    }

    /// Makes one transition durable as pending notifications; returns how many rows it
    /// created (0 when not notifiable, outside the route's active time, or already queued by
    /// an earlier delivery). Silences, inhibitions and acknowledgements are applied when the
    /// row is sent (as Alertmanager does), so one made while the group waits still counts.
    pub async fn enqueue(
        &self,
        transition: &AlertTransition,
        now_ms: i64,
    ) -> Result<usize, NotifierError> {
        self.enqueue_all(std::slice::from_ref(transition), now_ms)
            .await
    }

    /// [`Pipeline::enqueue`] for many transitions (one read of the bus), in one store
    /// transaction: either every row is durable or none is.
    pub async fn enqueue_all(
        &self,
        transitions: &[AlertTransition],
        now_ms: i64,
    ) -> Result<usize, NotifierError> {
        let contacts = self.load_contact_groups(!transitions.is_empty()).await?;
        let mut rows = Vec::new();
        for transition in transitions {
            self.rows_of(transition, now_ms, &contacts, &mut rows);
        }
        Ok(self
            .store
            .notifications()
            .claim_or_create_many(&rows)
            .await?)
    }

    /// The active contacts of every contact group a receiver names (none without receivers
    /// of that kind, or when `needed` is false).
    async fn load_contact_groups(
        &self,
        needed: bool,
    ) -> Result<BTreeMap<String, Vec<ContactRecord>>, NotifierError> {
        let mut groups = BTreeMap::new();
        if !needed {
            return Ok(groups);
        }
        for receiver in &self.config.receivers {
            let Some(group) = &receiver.contact_group else {
                continue;
            };
            if !groups.contains_key(group) {
                let members = self.store.contacts().list_active_in_group(group).await?;
                groups.insert(group.clone(), members);
            }
        }
        Ok(groups)
    }

    /// Where a receiver's notifications go: (channel, contact id) pairs. A plain receiver is
    /// its channels; a contact group is each active member through each channel that can
    /// reach them (their address of that kind, and the channel among theirs if they chose).
    fn targets_of(
        &self,
        receiver: &str,
        contacts: &BTreeMap<String, Vec<ContactRecord>>,
    ) -> Vec<(String, String)> {
        let channels = self.config.channels_of(receiver);
        let contact_group = self
            .config
            .receiver(receiver)
            .and_then(|found| found.contact_group.as_ref());
        let Some(contact_group) = contact_group else {
            return channels
                .iter()
                .map(|channel| (channel.clone(), String::new()))
                .collect();
        };
        let members = contacts.get(contact_group).map_or(&[][..], Vec::as_slice);
        let mut targets = Vec::new();
        for contact in members {
            for channel in channels {
                let chosen = contact.channels.is_empty() || contact.channels.contains(channel);
                let reachable = self
                    .config
                    .channels
                    .iter()
                    .find(|config| config.name() == channel)
                    .and_then(|config| config.for_contact(contact))
                    .is_some();
                if chosen && reachable {
                    targets.push((channel.clone(), contact.id.clone()));
                }
            }
        }
        targets
    }

    /// The outbox rows of one transition: one per (matched route, target of its receiver),
    /// due when the group's timers allow.
    fn rows_of(
        &self,
        transition: &AlertTransition,
        now_ms: i64,
        contacts: &BTreeMap<String, Vec<ContactRecord>>,
        rows: &mut Vec<NewNotification>,
    ) {
        if !transition.notify {
            tracing::debug!(fingerprint = %transition.fingerprint, "not notifiable (flapping)");
            return;
        }
        for matched in route(&self.config.route, &transition.labels) {
            if !matched.is_active_at(now_ms) {
                continue;
            }
            let group_key = matched.group_key(&transition.labels);
            let payload = OutboxPayload {
                group_labels: matched.group_labels(&transition.labels).0,
                transitions: vec![transition.clone()],
            };
            let payload = serde_json::to_value(&payload).expect("an outbox payload serialises");
            for (channel, contact_id) in self.targets_of(&matched.receiver, contacts) {
                let group = GroupId {
                    group_key: group_key.clone(),
                    receiver: matched.receiver.clone(),
                    channel,
                    contact_id,
                };
                let due_at_ms =
                    self.lock_state()
                        .timers
                        .schedule(&group, GroupTiming::from(&matched), now_ms);
                let idempotency_key = idempotency_key(&group, &transition_identity(transition));
                rows.push(NewNotification {
                    idempotency_key,
                    group_key: group.group_key,
                    receiver: group.receiver,
                    channel: group.channel,
                    contact_id: group.contact_id,
                    payload: payload.clone(),
                    next_attempt_at_ms: Some(due_at_ms),
                    now_ms,
                });
            }
        }
    }

    /// Queues a repeat row for each still-firing group past its `repeat_interval`, leaving
    /// out alerts muted or acknowledged since.
    async fn enqueue_repeats(&self, now_ms: i64) -> Result<(), NotifierError> {
        let repeats = self.lock_state().timers.due_repeats(now_ms);
        if repeats.is_empty() {
            return Ok(());
        }
        let mute = MuteContext::load(
            &self.store,
            &self.config.maintenance_windows,
            &self.config.inhibit_rules,
            now_ms,
        )
        .await?;
        let mut rows = Vec::new();
        for repeat in repeats {
            let firing: Vec<AlertTransition> = repeat
                .firing
                .into_iter()
                .filter(|transition| {
                    !matches!(
                        mute.drop_reason(transition, now_ms),
                        Some(DropReason::Muted(_) | DropReason::Acknowledged { .. })
                    )
                })
                .collect();
            if firing.is_empty() {
                continue;
            }
            let identity = format!("repeat\0{}", repeat.last_sent_ms);
            let idempotency_key = idempotency_key(&repeat.group, &identity);
            let payload = OutboxPayload {
                group_labels: repeat.group_labels,
                transitions: firing,
            };
            rows.push(NewNotification {
                idempotency_key,
                group_key: repeat.group.group_key,
                receiver: repeat.group.receiver,
                channel: repeat.group.channel,
                contact_id: repeat.group.contact_id,
                payload: serde_json::to_value(&payload).expect("an outbox payload serialises"),
                next_attempt_at_ms: Some(now_ms),
                now_ms,
            });
        }
        self.store
            .notifications()
            .claim_or_create_many(&rows)
            .await?;
        Ok(())
    }

    fn lock_state(&self) -> std::sync::MutexGuard<'_, PipelineState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn transition_identity(transition: &AlertTransition) -> String {
    format!(
        "{}\0{}\0{}",
        transition.fingerprint,
        transition.kind.as_str(),
        transition.at_ms
    )
}

/// Stable per (group key, receiver, channel, contact, what is notified): a redelivered
/// event maps to the row it created the first time, and one contact never gets a second.
pub fn idempotency_key(group: &GroupId, identity: &str) -> String {
    let mut hasher = Sha256::new();
    for part in [
        group.group_key.as_str(),
        group.receiver.as_str(),
        group.channel.as_str(),
        identity,
    ] {
        hasher.update(part.as_bytes());
        hasher.update([0u8]);
    }
    if !group.contact_id.is_empty() {
        hasher.update(b"contact\0");
        hasher.update(group.contact_id.as_bytes());
    }
    hasher.finalize()[..16]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}
