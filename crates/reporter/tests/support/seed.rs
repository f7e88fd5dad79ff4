//! A day of alert history in the store: two rules, acknowledgements, notifications.

use std::collections::BTreeMap;

use serde_json::json;
use store::{AlertStateRecord, NewAlertEvent, NewNotification, Store};

pub const MINUTE_MS: i64 = 60_000;
pub const HOUR_MS: i64 = 60 * MINUTE_MS;
/// 2026-11-24 00:00 UTC+8 (2026-11-23 16:00 UTC).
pub const DAY_START_MS: i64 = 1_795_449_600_000;

pub const BOILER: &str = "00000000000000b1";
pub const PUMP: &str = "00000000000000c2";

fn alert(fingerprint: &str, rule: &str, severity: &str, active_since_ms: i64) -> AlertStateRecord {
    AlertStateRecord {
        fingerprint: fingerprint.to_string(),
        rule_id: format!("{rule}-id"),
        rule_name: rule.to_string(),
        severity: severity.to_string(),
        state: "firing".to_string(),
        labels: BTreeMap::new(),
        annotations: BTreeMap::new(),
        value: Some(1.0),
        active_since_ms: Some(active_since_ms),
        updated_at_ms: active_since_ms,
        resolved_at_ms: None,
    }
}

async fn transition(
    store: &Store,
    id: &str,
    fingerprint: &str,
    kind: &str,
    severity: &str,
    at_ms: i64,
) {
    store
        .alert_events()
        .record(&NewAlertEvent {
            event_id: id.to_string(),
            fingerprint: fingerprint.to_string(),
            kind: kind.to_string(),
            from_state: "pending".to_string(),
            to_state: kind.to_string(),
            severity: severity.to_string(),
            previous_severity: None,
            value: Some(1.0),
            at_ms,
            payload: json!({}),
        })
        .await
        .expect("record a transition");
}

/// 鍋爐過熱 fires 3 times (critical, each resolved after 30 min), 冷卻水泵停止 once (warning,
/// started the day before, resolved 2 h into the day, escalated to critical once);
/// 2 acknowledgements (4 and 10 minutes); 3 notifications (email sent, email failed, LINE sent).
pub async fn seed_day(store: &Store) {
    let boiler_last_start = DAY_START_MS + 10 * HOUR_MS;
    store
        .alerts()
        .upsert_state(&alert(BOILER, "鍋爐過熱", "critical", boiler_last_start))
        .await
        .unwrap();
    let pump_start = DAY_START_MS - 2 * HOUR_MS;
    store
        .alerts()
        .upsert_state(&alert(PUMP, "冷卻水泵停止", "warning", pump_start))
        .await
        .unwrap();

    transition(store, "p1", PUMP, "firing", "warning", pump_start).await;
    transition(
        store,
        "p2",
        PUMP,
        "escalated",
        "critical",
        DAY_START_MS + HOUR_MS,
    )
    .await;
    transition(
        store,
        "p3",
        PUMP,
        "resolved",
        "critical",
        DAY_START_MS + 2 * HOUR_MS,
    )
    .await;
    for (index, hour) in [3, 6, 10].into_iter().enumerate() {
        let start = DAY_START_MS + hour * HOUR_MS;
        transition(
            store,
            &format!("b{index}f"),
            BOILER,
            "firing",
            "critical",
            start,
        )
        .await;
        transition(
            store,
            &format!("b{index}r"),
            BOILER,
            "resolved",
            "critical",
            start + 30 * MINUTE_MS,
        )
        .await;
    }
    store
        .alerts()
        .acknowledge(
            BOILER,
            "ops",
            boiler_last_start + 4 * MINUTE_MS,
            "",
            "critical",
        )
        .await
        .unwrap();
    store
        .alerts()
        .acknowledge(
            PUMP,
            "ops",
            pump_start + 10 * MINUTE_MS + 2 * HOUR_MS,
            "",
            "warning",
        )
        .await
        .unwrap();

    for (key, channel, failed) in [
        ("n1", "email", false),
        ("n2", "email", true),
        ("n3", "line", false),
    ] {
        let claim = store
            .notifications()
            .claim_or_create(&NewNotification {
                idempotency_key: key.to_string(),
                group_key: "g".to_string(),
                receiver: "plant".to_string(),
                channel: channel.to_string(),
                contact_id: String::new(),
                payload: json!({}),
                next_attempt_at_ms: None,
                now_ms: DAY_START_MS + 3 * HOUR_MS,
            })
            .await
            .unwrap();
        let id = claim.record.id;
        if failed {
            store
                .notifications()
                .mark_failed(id, "smtp 550", DAY_START_MS + 3 * HOUR_MS)
                .await
                .unwrap();
        } else {
            store
                .notifications()
                .mark_sent(id, None, DAY_START_MS + 3 * HOUR_MS)
                .await
                .unwrap();
        }
    }
}
