use std::time::Duration;

use super::*;

fn tree() -> RouteConfig {
    toml::from_str(
        r#"
        receiver = "default"
        group_by = ["alertname"]
        group_wait_s = 10

        [[routes]]
        matchers = [{ name = "team", op = "=", value = "plant" }]
        receiver = "plant"
        continue = true
        group_by = ["alertname", "device"]

          [[routes.routes]]
          matchers = [{ name = "severity", op = "=", value = "critical" }]
          receiver = "plant-pager"
          repeat_interval_s = 600

        [[routes]]
        matchers = [{ name = "team", op = "=~", value = "plant|it" }]
        receiver = "audit"

        [[routes]]
        matchers = [{ name = "team", op = "=", value = "plant" }]
        receiver = "never-reached"
        "#,
    )
    .unwrap()
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs.iter().copied().collect()
}

fn receivers(matched: &[MatchedRoute]) -> Vec<&str> {
    matched
        .iter()
        .map(|route| route.receiver.as_str())
        .collect()
}

#[test]
fn an_alert_no_child_matches_goes_to_the_root() {
    let matched = route(&tree(), &labels(&[("alertname", "Disk"), ("team", "web")]));
    assert_eq!(receivers(&matched), vec!["default"]);
    assert_eq!(matched[0].path, "/");
    assert_eq!(matched[0].group_wait, Duration::from_secs(10));
    assert_eq!(
        matched[0].group_interval,
        Duration::from_secs(DEFAULT_GROUP_INTERVAL_S)
    );
}

#[test]
fn continue_tries_the_next_siblings_and_the_first_without_it_stops() {
    let matched = route(
        &tree(),
        &labels(&[
            ("alertname", "PumpDown"),
            ("team", "plant"),
            ("severity", "warning"),
        ]),
    );
    assert_eq!(receivers(&matched), vec!["plant", "audit"]);
    assert_eq!(matched[0].path, "/0");
    assert_eq!(matched[1].path, "/1");
}

#[test]
fn nested_routes_win_and_inherit_from_their_parent() {
    let matched = route(
        &tree(),
        &labels(&[
            ("alertname", "PumpDown"),
            ("team", "plant"),
            ("severity", "critical"),
        ]),
    );
    assert_eq!(receivers(&matched), vec!["plant-pager", "audit"]);
    let pager = &matched[0];
    assert_eq!(pager.path, "/0/0");
    assert_eq!(pager.group_by, vec!["alertname", "device"]);
    assert_eq!(pager.group_wait, Duration::from_secs(10));
    assert_eq!(pager.repeat_interval, Duration::from_secs(600));
}

#[test]
fn group_by_picks_the_group_labels_and_the_key() {
    let matched = route(
        &tree(),
        &labels(&[
            ("alertname", "PumpDown"),
            ("team", "plant"),
            ("device", "p1"),
        ]),
    );
    let plant = &matched[0];
    let alert_labels = labels(&[
        ("alertname", "PumpDown"),
        ("team", "plant"),
        ("device", "p1"),
    ]);
    assert_eq!(
        plant.group_labels(&alert_labels),
        labels(&[("alertname", "PumpDown"), ("device", "p1")])
    );
    assert_eq!(
        plant.group_key(&alert_labels),
        "/0:{alertname=\"PumpDown\", device=\"p1\"}"
    );
    let mut everything = plant.clone();
    everything.group_by = vec![GROUP_BY_ALL.to_string()];
    assert_eq!(everything.group_labels(&alert_labels), alert_labels);
}

#[test]
fn active_time_limits_when_a_route_may_send() {
    // Weekdays 08:00-18:00 in Taipei. 2026-11-23 00:00 UTC was a Monday (08:00 Taipei).
    let monday_midnight_utc_ms: i64 = 1_795_392_000_000;
    let hour_ms = 3_600_000;
    let root: RouteConfig = toml::from_str(
        r#"
        receiver = "office"
        [active_time]
        days = ["mon", "tue", "wed", "thu", "fri"]
        start = "08:00"
        end = "18:00"
        utc_offset_minutes = 480
        "#,
    )
    .unwrap();
    let matched = route(&root, &labels(&[("alertname", "X")]));
    assert!(matched[0].is_active_at(monday_midnight_utc_ms + hour_ms));
    assert!(!matched[0].is_active_at(monday_midnight_utc_ms + 11 * hour_ms));
    let saturday = monday_midnight_utc_ms + 5 * 24 * hour_ms;
    assert!(!matched[0].is_active_at(saturday + hour_ms));
}

#[test]
fn unknown_keys_are_rejected_and_receivers_are_listed() {
    let error = toml::from_str::<RouteConfig>("reciever = \"x\"\n")
        .unwrap_err()
        .to_string();
    assert!(error.contains("unknown field `reciever`"), "{error}");
    let tree = tree();
    let mut names = receivers_named(&tree);
    names.sort_unstable();
    assert_eq!(
        names,
        vec!["audit", "default", "never-reached", "plant", "plant-pager"]
    );
}
