//! The route tree: which receivers an alert goes to, and how its notifications are grouped
//! and timed. Alertmanager semantics: an alert enters at the root (which matches everything
//! it has no matchers against); at each node the children are tried in order, the first one
//! that matches takes the alert unless it has `continue = true`, in which case the next
//! matching siblings are tried too. A node none of whose children match is the match itself.
//! Children inherit `receiver`, `group_by` and the three timers from their parent.

use std::time::Duration;

use alert::{LabelMatcher, MaintenanceWindow, TimeOfDay};
use chrono::Weekday;
use detectviz::Labels;
use serde::Deserialize;

/// Default `group_wait`, `group_interval` and `repeat_interval` (Alertmanager's).
pub const DEFAULT_GROUP_WAIT_S: u64 = 30;
pub const DEFAULT_GROUP_INTERVAL_S: u64 = 300;
pub const DEFAULT_REPEAT_INTERVAL_S: u64 = 4 * 3600;

/// `group_by = ["..."]` groups by every label (one group per alert).
pub const GROUP_BY_ALL: &str = "...";

/// One node of the route tree (`[notifier.route]`, children in `[[...routes]]`).
#[derive(Debug, Clone, PartialEq, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RouteConfig {
    /// Every matcher must accept the alert's labels; none: the node matches every alert.
    #[serde(default)]
    pub matchers: Vec<LabelMatcher>,
    /// The receiver's name; inherited when missing (the root must name one).
    #[serde(default)]
    pub receiver: Option<String>,
    /// Keep trying the following siblings after this node matched.
    #[serde(default, rename = "continue")]
    pub continue_matching: bool,
    #[serde(default)]
    pub group_by: Option<Vec<String>>,
    #[serde(default)]
    pub group_wait_s: Option<u64>,
    #[serde(default)]
    pub group_interval_s: Option<u64>,
    #[serde(default)]
    pub repeat_interval_s: Option<u64>,
    /// Notifications of this route are only sent inside this window; none: always.
    #[serde(default)]
    pub active_time: Option<TimeWindow>,
    #[serde(default)]
    pub routes: Vec<RouteConfig>,
}

/// A weekly window: on `days`, from `start` to `end` local time (UTC + `utc_offset_minutes`);
/// an `end` not after `start` runs past midnight. E.g. weekdays 08:00-18:00 Asia/Taipei is
/// `days = ["mon", "tue", "wed", "thu", "fri"]`, `start = "08:00"`, `end = "18:00"`,
/// `utc_offset_minutes = 480`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeWindow {
    pub days: Vec<Weekday>,
    pub start: TimeOfDay,
    pub end: TimeOfDay,
    #[serde(default)]
    pub utc_offset_minutes: i32,
}

impl TimeWindow {
    /// Whether the window is open at `now_ms` (the alert crate's maintenance-window clock).
    pub fn contains(&self, now_ms: i64) -> bool {
        let window = MaintenanceWindow {
            id: String::new(),
            name: String::new(),
            days: self.days.clone(),
            start: self.start,
            end: self.end,
            utc_offset_minutes: self.utc_offset_minutes,
            matchers: Vec::new(),
        };
        window.is_active(now_ms)
    }
}

/// A route an alert matched, with everything inherited resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchedRoute {
    /// The node's position in the tree, e.g. `/0/1` (the root is `/`).
    pub path: String,
    pub receiver: String,
    pub group_by: Vec<String>,
    pub group_wait: Duration,
    pub group_interval: Duration,
    pub repeat_interval: Duration,
    pub active_time: Option<TimeWindow>,
}

impl MatchedRoute {
    /// The values of the `group_by` labels (missing labels are left out).
    pub fn group_labels(&self, labels: &Labels) -> Labels {
        if self.group_by.iter().any(|name| name == GROUP_BY_ALL) {
            return labels.clone();
        }
        self.group_by
            .iter()
            .filter_map(|name| {
                labels
                    .get(name)
                    .map(|value| (name.clone(), value.to_string()))
            })
            .collect()
    }

    /// `<path>:<group labels>`: alerts with the same key are notified together.
    pub fn group_key(&self, labels: &Labels) -> String {
        format!("{}:{}", self.path, self.group_labels(labels))
    }

    /// Whether notifications may be sent at `now_ms` (inside the active time, if any).
    pub fn is_active_at(&self, now_ms: i64) -> bool {
        self.active_time
            .as_ref()
            .is_none_or(|window| window.contains(now_ms))
    }
}

/// The routes `labels` go to, in tree order. The root always matches unless its own
/// matchers reject the alert.
pub fn route(root: &RouteConfig, labels: &Labels) -> Vec<MatchedRoute> {
    let inherited = MatchedRoute {
        path: "/".to_string(),
        receiver: String::new(),
        group_by: Vec::new(),
        group_wait: Duration::from_secs(DEFAULT_GROUP_WAIT_S),
        group_interval: Duration::from_secs(DEFAULT_GROUP_INTERVAL_S),
        repeat_interval: Duration::from_secs(DEFAULT_REPEAT_INTERVAL_S),
        active_time: None,
    };
    let mut matched = Vec::new();
    if node_matches(root, labels) {
        collect_matches(root, "/".to_string(), &inherited, labels, &mut matched);
    }
    matched
}

fn node_matches(node: &RouteConfig, labels: &Labels) -> bool {
    alert::matcher::all_match(&node.matchers, labels)
}

fn resolve(node: &RouteConfig, path: String, parent: &MatchedRoute) -> MatchedRoute {
    MatchedRoute {
        path,
        receiver: node
            .receiver
            .clone()
            .unwrap_or_else(|| parent.receiver.clone()),
        group_by: node
            .group_by
            .clone()
            .unwrap_or_else(|| parent.group_by.clone()),
        group_wait: node
            .group_wait_s
            .map_or(parent.group_wait, Duration::from_secs),
        group_interval: node
            .group_interval_s
            .map_or(parent.group_interval, Duration::from_secs),
        repeat_interval: node
            .repeat_interval_s
            .map_or(parent.repeat_interval, Duration::from_secs),
        active_time: node
            .active_time
            .clone()
            .or_else(|| parent.active_time.clone()),
    }
}

/// `node` matched: add its deepest matching descendants, or itself when none matches.
fn collect_matches(
    node: &RouteConfig,
    path: String,
    parent: &MatchedRoute,
    labels: &Labels,
    matched: &mut Vec<MatchedRoute>,
) {
    let resolved = resolve(node, path, parent);
    let mut any_child_matched = false;
    for (index, child) in node.routes.iter().enumerate() {
        if !node_matches(child, labels) {
            continue;
        }
        any_child_matched = true;
        let child_path = if resolved.path == "/" {
            format!("/{index}")
        } else {
            format!("{}/{index}", resolved.path)
        };
        collect_matches(child, child_path, &resolved, labels, matched);
        if !child.continue_matching {
            break;
        }
    }
    if !any_child_matched {
        matched.push(resolved);
    }
}

/// Every receiver named anywhere in the tree.
pub fn receivers_named(root: &RouteConfig) -> Vec<&str> {
    let mut names = Vec::new();
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        if let Some(receiver) = &node.receiver {
            names.push(receiver.as_str());
        }
        stack.extend(node.routes.iter());
    }
    names
}

#[cfg(test)]
#[path = "route_tests.rs"]
mod tests;
