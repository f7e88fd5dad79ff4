//! `secrets` repository tests, each run on SQLite and on MariaDB.

use store::{SealedSecret, Store, StoreError};

fn sealed(name: &str, version: i64, key_id: &str) -> SealedSecret {
    SealedSecret {
        name: name.into(),
        version,
        ciphertext: format!("ciphertext-{name}-{version}"),
        nonce: format!("nonce-{version}"),
        key_id: key_id.into(),
        created_at_ms: 1_700_000_000_000 + version,
        created_by: "ada".into(),
    }
}

async fn versions_accumulate_and_the_newest_wins(store: &Store) -> anyhow::Result<()> {
    let secrets = store.secrets();
    assert_eq!(secrets.next_version("smtp_password").await?, 1);
    assert_eq!(secrets.latest("smtp_password").await?, None);
    secrets.insert(&sealed("smtp_password", 1, "k1")).await?;
    secrets.insert(&sealed("smtp_password", 2, "k1")).await?;
    secrets.insert(&sealed("slack_token", 1, "k1")).await?;
    assert_eq!(secrets.next_version("smtp_password").await?, 3);
    assert_eq!(
        secrets.latest("smtp_password").await?,
        Some(sealed("smtp_password", 2, "k1"))
    );
    let versions: Vec<i64> = secrets
        .versions("smtp_password")
        .await?
        .iter()
        .map(|secret| secret.version)
        .collect();
    assert_eq!(versions, [2, 1]);
    let newest: Vec<(String, i64)> = secrets
        .list_latest()
        .await?
        .into_iter()
        .map(|secret| (secret.name, secret.version))
        .collect();
    assert_eq!(
        newest,
        [
            ("slack_token".to_string(), 1),
            ("smtp_password".to_string(), 2)
        ]
    );
    assert_eq!(secrets.count_versions().await?, 3);

    let duplicate = secrets.insert(&sealed("smtp_password", 2, "k1")).await;
    assert!(
        matches!(duplicate, Err(StoreError::Conflict { .. })),
        "{duplicate:?}"
    );
    Ok(())
}

async fn reseal_replaces_ciphertext_and_delete_removes_every_version(
    store: &Store,
) -> anyhow::Result<()> {
    let secrets = store.secrets();
    secrets.insert(&sealed("line_token", 1, "old")).await?;
    secrets.insert(&sealed("line_token", 2, "old")).await?;
    let mut resealed = sealed("line_token", 1, "new");
    resealed.ciphertext = "sealed again".into();
    secrets.reseal(&resealed).await?;
    let all = secrets.all_versions().await?;
    assert_eq!(all[0], resealed);
    assert_eq!(all[1].key_id, "old");
    let missing = secrets.reseal(&sealed("line_token", 9, "new")).await;
    assert!(matches!(missing, Err(StoreError::NotFound { .. })));

    secrets.delete("line_token").await?;
    assert_eq!(secrets.versions("line_token").await?, []);
    assert!(matches!(
        secrets.delete("line_token").await,
        Err(StoreError::NotFound { .. })
    ));
    Ok(())
}

store::test_on_both_backends!(
    versions_accumulate_and_the_newest_wins,
    reseal_replaces_ciphertext_and_delete_removes_every_version
);
