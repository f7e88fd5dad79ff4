//! `file_snapshots` repository tests, each run on SQLite and on MariaDB.

use store::{FileSnapshot, Store, StoreError};

fn snapshot(path: &str, version: i64, content: &str) -> FileSnapshot {
    FileSnapshot {
        root: "conf".into(),
        path: path.into(),
        version,
        content: content.into(),
        hash: format!("hash-{version}"),
        size: content.len() as i64,
        author: "ada".into(),
        message: format!("版本 {version}"),
        created_at_ms: 1_800_000_000_000 + version,
    }
}

async fn versions_count_per_file_and_list_newest_first(store: &Store) -> anyhow::Result<()> {
    let snapshots = store.file_snapshots();
    assert_eq!(snapshots.next_version("conf", "pages.yaml").await?, 1);
    assert_eq!(snapshots.latest("conf", "pages.yaml").await?, None);
    let large = "x".repeat(200_000);
    snapshots
        .insert(&snapshot("pages.yaml", 1, "a: 1\n"))
        .await?;
    snapshots.insert(&snapshot("pages.yaml", 2, &large)).await?;
    snapshots
        .insert(&snapshot("sub/other.toml", 1, "b = 2\n"))
        .await?;
    assert_eq!(snapshots.next_version("conf", "pages.yaml").await?, 3);
    assert_eq!(snapshots.next_version("conf", "sub/other.toml").await?, 2);
    assert_eq!(
        snapshots.latest("conf", "pages.yaml").await?,
        Some(snapshot("pages.yaml", 2, &large))
    );
    assert_eq!(
        snapshots.get("conf", "pages.yaml", 1).await?,
        Some(snapshot("pages.yaml", 1, "a: 1\n"))
    );
    assert_eq!(snapshots.get("conf", "pages.yaml", 7).await?, None);
    let versions: Vec<i64> = snapshots
        .list("conf", "pages.yaml", 10)
        .await?
        .iter()
        .map(|snapshot| snapshot.version)
        .collect();
    assert_eq!(versions, [2, 1]);
    assert_eq!(snapshots.list("conf", "pages.yaml", 1).await?.len(), 1);
    assert_eq!(snapshots.list("other-root", "pages.yaml", 10).await?, []);

    let duplicate = snapshots.insert(&snapshot("pages.yaml", 2, "again")).await;
    assert!(
        matches!(duplicate, Err(StoreError::Conflict { .. })),
        "{duplicate:?}"
    );
    Ok(())
}

store::test_on_both_backends!(versions_count_per_file_and_list_newest_first);
