//! Grouping timers, pure and in memory: when the notifications of a group may go out.
//!
//! A group is one (group key, receiver, channel). Its first notification waits `group_wait`
//! after the first alert arrived, so alerts arriving meanwhile go out together; later changes
//! wait until `group_interval` after the previous send; while alerts still fire and nothing
//! changed, the group is sent again every `repeat_interval`. A group with no firing alert
//! left after a send is forgotten, so the next alert starts a new one (with `group_wait`).
//! The pending notifications themselves are durable rows in the store; this only holds
//! timing and the group's firing alerts, so a restart at worst repeats sooner.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use detectviz::{AlertPhase, AlertTransition};

use crate::route::MatchedRoute;

/// One group: alerts with one group key, for one receiver, through one channel (and, for a
/// receiver that is a contact group, to one contact).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupId {
    pub group_key: String,
    pub receiver: String,
    pub channel: String,
    /// The contact's id; empty for a receiver that is a list of channels.
    pub contact_id: String,
}

/// The timers of the route a group belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupTiming {
    pub group_wait: Duration,
    pub group_interval: Duration,
    pub repeat_interval: Duration,
}

impl From<&MatchedRoute> for GroupTiming {
    fn from(route: &MatchedRoute) -> Self {
        GroupTiming {
            group_wait: route.group_wait,
            group_interval: route.group_interval,
            repeat_interval: route.repeat_interval,
        }
    }
}

#[derive(Debug, Clone)]
struct GroupState {
    timing: GroupTiming,
    first_seen_ms: i64,
    last_sent_ms: Option<i64>,
    group_labels: BTreeMap<String, String>,
    /// The latest transition of each alert sent while it still fires.
    firing: BTreeMap<String, AlertTransition>,
}

/// A group whose firing alerts are due to be sent again.
#[derive(Debug, Clone, PartialEq)]
pub struct RepeatDue {
    pub group: GroupId,
    /// When the group was last sent; distinguishes one repeat from the next.
    pub last_sent_ms: i64,
    pub group_labels: BTreeMap<String, String>,
    pub firing: Vec<AlertTransition>,
}

/// The grouping timers of every live group.
#[derive(Debug, Default)]
pub struct GroupTimers {
    groups: HashMap<GroupId, GroupState>,
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

impl GroupTimers {
    pub fn new() -> Self {
        GroupTimers::default()
    }

    /// When a change arriving at `now_ms` may be sent: `group_wait` after the group started
    /// if it was never sent, else `group_interval` after its last send (not before now).
    pub fn schedule(&mut self, group: &GroupId, timing: GroupTiming, now_ms: i64) -> i64 {
        let state = self
            .groups
            .entry(group.clone())
            .or_insert_with(|| GroupState {
                timing,
                first_seen_ms: now_ms,
                last_sent_ms: None,
                group_labels: BTreeMap::new(),
                firing: BTreeMap::new(),
            });
        state.timing = timing;
        match state.last_sent_ms {
            None => state
                .first_seen_ms
                .saturating_add(millis(timing.group_wait)),
            Some(last_sent_ms) => last_sent_ms
                .saturating_add(millis(timing.group_interval))
                .max(now_ms),
        }
    }

    /// Whether the group may be sent at `now_ms`: never sent (its rows carry the
    /// `group_wait`), or its `group_interval` since the last send has passed. A change that
    /// arrives while the group was being sent waits for the next interval, so one flush
    /// carries every alert queued meanwhile.
    pub fn may_send(&self, group: &GroupId, now_ms: i64) -> bool {
        let Some(state) = self.groups.get(group) else {
            return true;
        };
        state.last_sent_ms.is_none_or(|last_sent_ms| {
            now_ms >= last_sent_ms.saturating_add(millis(state.timing.group_interval))
        })
    }

    /// The group's alerts still firing, as last sent (to send beside new changes).
    pub fn firing_alerts(&self, group: &GroupId) -> Vec<AlertTransition> {
        self.groups
            .get(group)
            .map(|state| state.firing.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Records a successful send of `transitions` at `now_ms`; resolved alerts leave the
    /// group, and a group without firing alerts is forgotten.
    pub fn record_sent(
        &mut self,
        group: &GroupId,
        group_labels: &BTreeMap<String, String>,
        transitions: &[AlertTransition],
        now_ms: i64,
    ) {
        let Some(state) = self.groups.get_mut(group) else {
            return;
        };
        state.last_sent_ms = Some(now_ms);
        state.group_labels = group_labels.clone();
        for transition in transitions {
            let is_newer = state
                .firing
                .get(&transition.fingerprint)
                .is_none_or(|known| known.at_ms <= transition.at_ms);
            if !is_newer {
                continue;
            }
            if matches!(transition.to, AlertPhase::Firing | AlertPhase::Pending) {
                state
                    .firing
                    .insert(transition.fingerprint.clone(), transition.clone());
            } else {
                state.firing.remove(&transition.fingerprint);
            }
        }
        if state.firing.is_empty() {
            self.groups.remove(group);
        }
    }

    /// Forgets a group that was never sent and holds no firing alert (its rows were all
    /// suppressed), so the next alert starts it afresh with `group_wait`.
    pub fn forget_unsent(&mut self, group: &GroupId) {
        let unsent = self
            .groups
            .get(group)
            .is_some_and(|state| state.last_sent_ms.is_none() && state.firing.is_empty());
        if unsent {
            self.groups.remove(group);
        }
    }

    /// Groups sent before, still firing, whose `repeat_interval` has passed at `now_ms`.
    pub fn due_repeats(&self, now_ms: i64) -> Vec<RepeatDue> {
        let mut due: Vec<RepeatDue> = self
            .groups
            .iter()
            .filter_map(|(group, state)| {
                let last_sent_ms = state.last_sent_ms?;
                let repeat_at = last_sent_ms.saturating_add(millis(state.timing.repeat_interval));
                if state.firing.is_empty() || now_ms < repeat_at {
                    return None;
                }
                Some(RepeatDue {
                    group: group.clone(),
                    last_sent_ms,
                    group_labels: state.group_labels.clone(),
                    firing: state.firing.values().cloned().collect(),
                })
            })
            .collect();
        due.sort_by(|left, right| left.group.cmp(&right.group));
        due
    }
}

#[cfg(test)]
#[path = "group_tests.rs"]
mod tests;
