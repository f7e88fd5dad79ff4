//! The notifier's route tree and receivers as configured (`[notifier]`), read-only, for the
//! console's table-config page. Routes come only from the config file, so there is nothing to
//! change here: each node is listed depth first with what it inherits resolved (receiver,
//! `group_by` and the three timers), and each receiver with its channels and their types.
//! Channel settings (URLs, tokens) are never shown.

use axum::Json;
use axum::extract::State;
use axum::http::Method;
use notifier::route::{
    DEFAULT_GROUP_INTERVAL_S, DEFAULT_GROUP_WAIT_S, DEFAULT_REPEAT_INTERVAL_S, RouteConfig,
    TimeWindow,
};
use serde::Serialize;

use crate::auth::{Access, UserRole};
use crate::routes::book::RouteBook;
use crate::state::AppState;

pub fn add_routes(book: RouteBook) -> RouteBook {
    book.add(
        Method::GET,
        "/api/notifier/routes",
        Access::Role(UserRole::Viewer),
        list_routes,
    )
}

/// The answer: whether a `[notifier]` section exists, its routes and receivers.
#[derive(Debug, Serialize)]
pub struct NotifierRoutesView {
    pub configured: bool,
    pub routes: Vec<RouteView>,
    pub receivers: Vec<ReceiverView>,
}

/// One node of the route tree with everything inherited resolved.
#[derive(Debug, Serialize)]
pub struct RouteView {
    /// The node's position, as in notifications: `/` for the root, `/0/1` for a grandchild.
    pub path: String,
    pub depth: usize,
    pub matchers: Vec<alert::LabelMatcher>,
    pub receiver: String,
    /// Whether the receiver comes from a parent rather than this node.
    pub receiver_inherited: bool,
    #[serde(rename = "continue")]
    pub continue_matching: bool,
    pub group_by: Vec<String>,
    pub group_wait_s: u64,
    pub group_interval_s: u64,
    pub repeat_interval_s: u64,
    /// `mon tue 08:00-18:00 UTC+480min`, or none: always active.
    pub active_time: Option<String>,
}

/// A receiver with its channels' names and types.
#[derive(Debug, Serialize)]
pub struct ReceiverView {
    pub name: String,
    pub channels: Vec<ChannelView>,
}

#[derive(Debug, Serialize)]
pub struct ChannelView {
    pub name: String,
    /// `email`, `slack`, `line` or `webhook`; `missing` when no channel has the name.
    pub kind: String,
}

/// What a node inherits from its parent.
struct Inherited {
    receiver: String,
    group_by: Vec<String>,
    group_wait_s: u64,
    group_interval_s: u64,
    repeat_interval_s: u64,
}

async fn list_routes(State(state): State<AppState>) -> Json<NotifierRoutesView> {
    let config = state.config.current();
    let Some(notifier) = config.notifier.as_ref() else {
        return Json(NotifierRoutesView {
            configured: false,
            routes: Vec::new(),
            receivers: Vec::new(),
        });
    };
    let root_defaults = Inherited {
        receiver: String::new(),
        group_by: Vec::new(),
        group_wait_s: DEFAULT_GROUP_WAIT_S,
        group_interval_s: DEFAULT_GROUP_INTERVAL_S,
        repeat_interval_s: DEFAULT_REPEAT_INTERVAL_S,
    };
    let mut routes = Vec::new();
    flatten_route(
        &notifier.route,
        "/".to_string(),
        0,
        &root_defaults,
        &mut routes,
    );
    let receivers = notifier
        .receivers
        .iter()
        .map(|receiver| ReceiverView {
            name: receiver.name.clone(),
            channels: receiver
                .channels
                .iter()
                .map(|name| ChannelView {
                    name: name.clone(),
                    kind: channel_kind(&notifier.channels, name),
                })
                .collect(),
        })
        .collect();
    Json(NotifierRoutesView {
        configured: true,
        routes,
        receivers,
    })
}

fn channel_kind(channels: &[notifier::ChannelConfig], name: &str) -> String {
    let Some(channel) = channels.iter().find(|channel| channel.name() == name) else {
        return "missing".to_string();
    };
    let kind = match channel {
        notifier::ChannelConfig::Email(_) => "email",
        notifier::ChannelConfig::Slack(_) => "slack",
        notifier::ChannelConfig::Line(_) => "line",
        notifier::ChannelConfig::Webhook(_) => "webhook",
    };
    kind.to_string()
}

/// Appends `node` and then its children, depth first, in the order they are tried.
fn flatten_route(
    node: &RouteConfig,
    path: String,
    depth: usize,
    parent: &Inherited,
    routes: &mut Vec<RouteView>,
) {
    let own_receiver = node.receiver.clone().filter(|name| !name.is_empty());
    let resolved = Inherited {
        receiver: own_receiver
            .clone()
            .unwrap_or_else(|| parent.receiver.clone()),
        group_by: node
            .group_by
            .clone()
            .unwrap_or_else(|| parent.group_by.clone()),
        group_wait_s: node.group_wait_s.unwrap_or(parent.group_wait_s),
        group_interval_s: node.group_interval_s.unwrap_or(parent.group_interval_s),
        repeat_interval_s: node.repeat_interval_s.unwrap_or(parent.repeat_interval_s),
    };
    routes.push(RouteView {
        path: path.clone(),
        depth,
        matchers: node.matchers.clone(),
        receiver: resolved.receiver.clone(),
        receiver_inherited: own_receiver.is_none(),
        continue_matching: node.continue_matching,
        group_by: resolved.group_by.clone(),
        group_wait_s: resolved.group_wait_s,
        group_interval_s: resolved.group_interval_s,
        repeat_interval_s: resolved.repeat_interval_s,
        active_time: node.active_time.as_ref().map(describe_window),
    });
    for (index, child) in node.routes.iter().enumerate() {
        let child_path = format!("{}/{index}", path.trim_end_matches('/'));
        flatten_route(child, child_path, depth + 1, &resolved, routes);
    }
}

fn describe_window(window: &TimeWindow) -> String {
    let days: Vec<String> = window
        .days
        .iter()
        .map(|day| day.to_string().to_lowercase())
        .collect();
    let start: String = window.start.into();
    let end: String = window.end.into();
    format!(
        "{} {start}-{end} UTC{:+}min",
        days.join(" "),
        window.utc_offset_minutes
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn children_inherit_receiver_grouping_and_timers_and_are_listed_depth_first() {
        let root: RouteConfig = toml::from_str(
            r#"
            receiver = "oncall"
            group_by = ["alertname"]
            group_wait_s = 10
            [[routes]]
            matchers = [{ name = "severity", op = "=", value = "critical" }]
            repeat_interval_s = 60
            [[routes.routes]]
            receiver = "pager"
            [[routes]]
            receiver = "office"
            active_time = { days = ["mon", "fri"], start = "08:00", end = "18:00", utc_offset_minutes = 480 }
            "#,
        )
        .unwrap();
        let defaults = Inherited {
            receiver: String::new(),
            group_by: Vec::new(),
            group_wait_s: DEFAULT_GROUP_WAIT_S,
            group_interval_s: DEFAULT_GROUP_INTERVAL_S,
            repeat_interval_s: DEFAULT_REPEAT_INTERVAL_S,
        };
        let mut routes = Vec::new();
        flatten_route(&root, "/".to_string(), 0, &defaults, &mut routes);
        let paths: Vec<&str> = routes.iter().map(|route| route.path.as_str()).collect();
        assert_eq!(paths, ["/", "/0", "/0/0", "/1"]);
        let grandchild = &routes[2];
        assert_eq!(grandchild.receiver, "pager");
        assert!(!grandchild.receiver_inherited);
        assert_eq!(grandchild.group_by, ["alertname"]);
        assert_eq!(grandchild.group_wait_s, 10);
        assert_eq!(grandchild.repeat_interval_s, 60);
        assert_eq!(grandchild.group_interval_s, DEFAULT_GROUP_INTERVAL_S);
        assert_eq!(routes[1].receiver, "oncall");
        assert!(routes[1].receiver_inherited);
        assert_eq!(
            routes[3].active_time.as_deref(),
            Some("mon fri 08:00-18:00 UTC+480min")
        );
        assert_eq!(routes[0].active_time, None);
    }
}
