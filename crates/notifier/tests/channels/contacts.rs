//! A receiver that is a contact group, end to end against aiosmtpd and local HTTP servers
//! for LINE and Slack: each active member is reached once through each channel they have an
//! address for, inactive members are skipped, and a redelivered transition sends nothing.

use notifier::sample::{SAMPLE_STARTS_AT_MS, sample_transitions};
use notifier::{NotificationStatus, NotifierConfig, Pipeline};
use store::{DeliveryStatus, NewContact, Store};

use crate::http_peer::HttpPeer;
use crate::smtp_peer::SmtpPeer;

const NOW_MS: i64 = SAMPLE_STARTS_AT_MS;
const PUSH_ANSWER: &str = r#"{"sentMessages":[{"id":"1"}]}"#;

fn config(smtp_port: u16, line_base: &str, slack_default: &str) -> NotifierConfig {
    let config: NotifierConfig = toml::from_str(&format!(
        r#"
        [route]
        receiver = "shift"
        group_by = ["alertname"]
        group_wait_s = 0
        [[receivers]]
        name = "shift"
        contact_group = "shift-leads"
        channels = ["team-mail", "team-line", "team-slack"]
        [[channels]]
        type = "email"
        name = "team-mail"
        host = "127.0.0.1"
        port = {smtp_port}
        security = "none"
        from = "detectviz@example.org"
        to = ["nobody@example.org"]
        language = "en"
        [[channels]]
        type = "line"
        name = "team-line"
        to = "Cdefault"
        channel_access_token = "token"
        api_base = "{line_base}"
        [[channels]]
        type = "slack"
        name = "team-slack"
        webhook_url = "{slack_default}"
        "#
    ))
    .unwrap();
    config.validate().unwrap();
    config
}

fn contact(id: &str, name: &str, active: bool) -> NewContact {
    NewContact {
        id: id.to_string(),
        name: name.to_string(),
        groups: vec!["shift-leads".to_string()],
        active,
        ..NewContact::default()
    }
}

async fn a_contact_group_reaches_each_active_member_once(store: &Store) -> anyhow::Result<()> {
    let smtp = SmtpPeer::start(None);
    let line = HttpPeer::start(PUSH_ANSWER).await;
    let slack = HttpPeer::start("ok").await;
    let contacts = store.contacts();
    contacts
        .create(&NewContact {
            email: "alice@example.org".to_string(),
            line_id: "Ualice".to_string(),
            ..contact("c-alice", "Alice", true)
        })
        .await?;
    contacts
        .create(&NewContact {
            email: "bob@example.org".to_string(),
            slack_webhook: slack.url("/services/bob"),
            channels: vec!["team-slack".to_string()],
            ..contact("c-bob", "Bob", true)
        })
        .await?;
    contacts
        .create(&NewContact {
            email: "carol@example.org".to_string(),
            line_id: "Ucarol".to_string(),
            ..contact("c-carol", "Carol", false)
        })
        .await?;
    contacts
        .create(&NewContact {
            email: "dave@example.org".to_string(),
            groups: vec!["night-shift".to_string()],
            ..contact("c-dave", "Dave", true)
        })
        .await?;
    let pipeline = Pipeline::new(
        config(smtp.port, &line.url(""), &slack.url("/services/default")),
        store.clone(),
    )?;
    let transitions = sample_transitions(NotificationStatus::Firing);
    assert_eq!(pipeline.enqueue_all(&transitions, NOW_MS).await?, 6);
    let report = pipeline.deliver_due(NOW_MS).await?;
    assert_eq!(report.sent, 6, "{report:?}");

    let mails = smtp.messages();
    assert_eq!(mails.len(), 1, "only Alice takes email: {mails:?}");
    assert_eq!(
        mails[0]["rcpt_tos"],
        serde_json::json!(["alice@example.org"])
    );
    let pushes = line.requests();
    assert_eq!(pushes.len(), 1);
    assert_eq!(pushes[0].json()["to"], "Ualice");
    let slack_posts = slack.requests();
    assert_eq!(slack_posts.len(), 1);
    assert_eq!(slack_posts[0].path, "/services/bob");

    assert_eq!(pipeline.enqueue_all(&transitions, NOW_MS + 1).await?, 0);
    assert_eq!(pipeline.deliver_due(NOW_MS + 1).await?.sent, 0);
    assert_eq!(
        smtp.messages().len() + line.requests().len() + slack.requests().len(),
        3
    );
    let records = store.notifications().list_recent(20).await?;
    assert!(
        records
            .iter()
            .all(|record| record.status == DeliveryStatus::Sent && !record.contact_id.is_empty())
    );
    Ok(())
}

async fn a_contact_made_inactive_while_queued_is_skipped(store: &Store) -> anyhow::Result<()> {
    let smtp = SmtpPeer::start(None);
    let line = HttpPeer::start(PUSH_ANSWER).await;
    let contacts = store.contacts();
    let alice = NewContact {
        email: "alice@example.org".to_string(),
        ..contact("c-alice", "Alice", true)
    };
    contacts.create(&alice).await?;
    let pipeline = Pipeline::new(
        config(smtp.port, &line.url(""), &line.url("/unused")),
        store.clone(),
    )?;
    let transitions = sample_transitions(NotificationStatus::Firing);
    assert_eq!(pipeline.enqueue_all(&transitions, NOW_MS).await?, 2);
    contacts
        .update(&NewContact {
            active: false,
            ..alice
        })
        .await?;
    let report = pipeline.deliver_due(NOW_MS).await?;
    assert_eq!((report.sent, report.suppressed), (0, 2), "{report:?}");
    assert!(smtp.messages().is_empty());
    let records = store.notifications().list_recent(20).await?;
    assert!(
        records
            .iter()
            .all(|record| record.last_error.as_deref() == Some("contact Alice is inactive"))
    );
    Ok(())
}

store::test_on_both_backends!(
    a_contact_group_reaches_each_active_member_once,
    a_contact_made_inactive_while_queued_is_skipped,
);
