//! `contacts` repository tests, each run on SQLite and on MariaDB.

use store::{NewContact, Store, StoreError};

fn contact(id: &str, name: &str) -> NewContact {
    NewContact {
        id: id.to_string(),
        name: name.to_string(),
        email: format!("{name}@plant.example"),
        phone: "+886-2-1234-5678".to_string(),
        line_id: "U4af4980629".to_string(),
        slack_webhook: "https://hooks.slack.com/services/T000/B000/XXXXSECRET".to_string(),
        groups: vec!["oncall".to_string(), "plant-a".to_string()],
        channels: vec!["ops-mail".to_string(), "ops-line".to_string()],
        active: true,
    }
}

async fn contacts_are_created_read_updated_and_deleted(store: &Store) -> anyhow::Result<()> {
    let created = store.contacts().create(&contact("c1", "mei")).await?;
    assert_eq!(created.name, "mei");
    assert_eq!(created.groups, vec!["oncall", "plant-a"]);
    assert_eq!(created.channels, vec!["ops-mail", "ops-line"]);
    assert!(created.active);
    assert_eq!(store.contacts().get("c1").await?, Some(created.clone()));

    let mut changed = contact("c1", "mei-lin");
    changed.groups = vec!["plant-b".to_string()];
    changed.active = false;
    let updated = store.contacts().update(&changed).await?;
    assert_eq!(updated.name, "mei-lin");
    assert_eq!(updated.groups, vec!["plant-b"]);
    assert!(!updated.active);
    assert_eq!(updated.created_at_ms, created.created_at_ms);

    store.contacts().create(&contact("c2", "chen")).await?;
    let names: Vec<String> = store
        .contacts()
        .list()
        .await?
        .into_iter()
        .map(|contact| contact.name)
        .collect();
    assert_eq!(names, vec!["chen", "mei-lin"]);

    store.contacts().delete("c1").await?;
    assert_eq!(store.contacts().get("c1").await?, None);
    assert!(matches!(
        store.contacts().delete("c1").await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.contacts().update(&contact("nope", "x")).await,
        Err(StoreError::NotFound { .. })
    ));
    Ok(())
}

async fn names_are_unique_and_groups_select_active_contacts(store: &Store) -> anyhow::Result<()> {
    store.contacts().create(&contact("c1", "mei")).await?;
    let duplicate = store.contacts().create(&contact("c2", "mei")).await;
    assert!(
        matches!(duplicate, Err(StoreError::Conflict { .. })),
        "{duplicate:?}"
    );
    let mut inactive = contact("c3", "wang");
    inactive.active = false;
    store.contacts().create(&inactive).await?;
    let mut elsewhere = contact("c4", "lin");
    elsewhere.groups = vec!["plant-b".to_string()];
    store.contacts().create(&elsewhere).await?;
    let oncall = store.contacts().list_active_in_group("oncall").await?;
    assert_eq!(oncall.len(), 1);
    assert_eq!(oncall[0].name, "mei");
    Ok(())
}

async fn the_slack_webhook_is_stored_but_never_printed(store: &Store) -> anyhow::Result<()> {
    let created = store.contacts().create(&contact("c1", "mei")).await?;
    assert!(created.slack_webhook.ends_with("XXXXSECRET"));
    let printed = format!("{created:?} {:?}", contact("c1", "mei"));
    assert!(!printed.contains("XXXXSECRET"), "{printed}");
    assert!(!printed.contains("hooks.slack.com"), "{printed}");
    Ok(())
}

store::test_on_both_backends!(
    contacts_are_created_read_updated_and_deleted,
    names_are_unique_and_groups_select_active_contacts,
    the_slack_webhook_is_stored_but_never_printed,
);
