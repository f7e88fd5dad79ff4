//! `audit_log` repository tests, each run on SQLite and on MariaDB.

use serde_json::json;
use store::{AuditQuery, NewAuditEntry, Store};

fn entry(at_ms: i64, actor: &str, action: &str) -> NewAuditEntry {
    NewAuditEntry {
        at_ms,
        actor: actor.to_string(),
        action: action.to_string(),
        target: format!("user:{at_ms}"),
        source_ip: Some("192.0.2.7".to_string()),
        result: "ok".to_string(),
        detail: json!({ "at": at_ms, "note": "täst" }),
    }
}

async fn append_then_query_round_trips(store: &Store) -> anyhow::Result<()> {
    let mut without_ip = entry(1_000, "alice", "user.create");
    without_ip.source_ip = None;
    without_ip.result = "denied".to_string();
    let id = store.audit_log().append(&without_ip).await?;
    assert!(id > 0);

    let entries = store.audit_log().query(&AuditQuery::default()).await?;
    assert_eq!(entries.len(), 1);
    let stored = &entries[0];
    assert_eq!(stored.id, id);
    assert_eq!(stored.at_ms, 1_000);
    assert_eq!(stored.actor, "alice");
    assert_eq!(stored.action, "user.create");
    assert_eq!(stored.target, "user:1000");
    assert_eq!(stored.source_ip, None);
    assert_eq!(stored.result, "denied");
    assert_eq!(stored.detail, json!({ "at": 1000, "note": "täst" }));
    Ok(())
}

async fn query_is_newest_first_and_limited(store: &Store) -> anyhow::Result<()> {
    for at_ms in [3_000, 1_000, 5_000, 2_000, 4_000] {
        store
            .audit_log()
            .append(&entry(at_ms, "alice", "login"))
            .await?;
    }
    let same_time_later = store
        .audit_log()
        .append(&entry(5_000, "bob", "login"))
        .await?;

    let all = store.audit_log().query(&AuditQuery::default()).await?;
    let times: Vec<i64> = all.iter().map(|entry| entry.at_ms).collect();
    assert_eq!(times, [5_000, 5_000, 4_000, 3_000, 2_000, 1_000]);
    assert_eq!(all[0].id, same_time_later, "ties break by id, newest first");

    let limited = AuditQuery {
        limit: 2,
        ..AuditQuery::default()
    };
    assert_eq!(store.audit_log().query(&limited).await?.len(), 2);
    Ok(())
}

async fn query_filters_by_actor_action_and_time(store: &Store) -> anyhow::Result<()> {
    store
        .audit_log()
        .append(&entry(1_000, "alice", "login"))
        .await?;
    store
        .audit_log()
        .append(&entry(2_000, "bob", "login"))
        .await?;
    store
        .audit_log()
        .append(&entry(3_000, "alice", "user.delete"))
        .await?;
    store
        .audit_log()
        .append(&entry(4_000, "alice", "login"))
        .await?;

    let times_for = |entries: Vec<store::AuditEntry>| -> Vec<i64> {
        entries.iter().map(|entry| entry.at_ms).collect()
    };

    let by_actor = AuditQuery {
        actor: Some("alice".to_string()),
        ..AuditQuery::default()
    };
    assert_eq!(
        times_for(store.audit_log().query(&by_actor).await?),
        [4_000, 3_000, 1_000]
    );

    let by_action = AuditQuery {
        action: Some("login".to_string()),
        ..AuditQuery::default()
    };
    assert_eq!(
        times_for(store.audit_log().query(&by_action).await?),
        [4_000, 2_000, 1_000]
    );

    let by_actor_and_action = AuditQuery {
        actor: Some("alice".to_string()),
        action: Some("login".to_string()),
        ..AuditQuery::default()
    };
    assert_eq!(
        times_for(store.audit_log().query(&by_actor_and_action).await?),
        [4_000, 1_000]
    );

    let since_inclusive_until_exclusive = AuditQuery {
        since_ms: Some(2_000),
        until_ms: Some(4_000),
        ..AuditQuery::default()
    };
    assert_eq!(
        times_for(
            store
                .audit_log()
                .query(&since_inclusive_until_exclusive)
                .await?
        ),
        [3_000, 2_000]
    );

    let nobody = AuditQuery {
        actor: Some("mallory".to_string()),
        ..AuditQuery::default()
    };
    assert!(store.audit_log().query(&nobody).await?.is_empty());
    Ok(())
}

store::test_on_both_backends!(
    append_then_query_round_trips,
    query_is_newest_first_and_limited,
    query_filters_by_actor_action_and_time,
);
