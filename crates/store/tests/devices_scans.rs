//! `devices` and `scans` repository tests, each run on SQLite and on MariaDB.

use store::{DeviceObservation, NewScan, ScanSummary, SeenOutcome, Store, StoreError};

fn observed(id: &str, fingerprint: &str, scan_id: &str) -> DeviceObservation {
    DeviceObservation {
        id: id.to_string(),
        protocol: "snmp".to_string(),
        address: "192.0.2.10".to_string(),
        port: 161,
        name: "plc-gateway".to_string(),
        sys_object_id: ".1.3.6.1.4.1.8072.3.2.10".to_string(),
        inventory: format!("{{\"fingerprint\":\"{fingerprint}\"}}"),
        fingerprint: fingerprint.to_string(),
        scan_id: scan_id.to_string(),
    }
}

async fn devices_are_new_then_unchanged_then_changed(store: &Store) -> anyhow::Result<()> {
    let devices = store.devices();
    assert_eq!(
        devices.record_seen(&observed("d1", "a", "s1")).await?,
        SeenOutcome::New
    );
    assert_eq!(
        devices.record_seen(&observed("d1", "a", "s2")).await?,
        SeenOutcome::Unchanged
    );
    assert_eq!(
        devices.record_seen(&observed("d1", "b", "s3")).await?,
        SeenOutcome::Changed
    );
    let stored = devices.get("d1").await?.expect("stored");
    assert_eq!(stored.fingerprint, "b");
    assert_eq!(stored.status, "present");
    assert_eq!(stored.port, 161);
    assert_eq!(stored.last_scan_id, "s3");
    assert_eq!(stored.inventory, "{\"fingerprint\":\"b\"}");
    assert_eq!(devices.list().await?.len(), 1);
    assert_eq!(devices.get("nope").await?, None);
    Ok(())
}

async fn devices_go_after_the_missed_threshold_and_can_return(store: &Store) -> anyhow::Result<()> {
    let devices = store.devices();
    devices.record_seen(&observed("d1", "a", "s1")).await?;
    assert_eq!(devices.record_missed("d1", "s2", 2).await?, None);
    // The same scan counts once.
    assert_eq!(devices.record_missed("d1", "s2", 2).await?, None);
    assert_eq!(devices.get("d1").await?.expect("stored").missed_scans, 1);
    let gone = devices
        .record_missed("d1", "s3", 2)
        .await?
        .expect("gone now");
    assert_eq!(gone.status, "gone");
    assert_eq!(gone.missed_scans, 2);
    assert_eq!(
        devices.record_missed("d1", "s4", 2).await?,
        None,
        "already gone"
    );
    assert_eq!(
        devices.record_seen(&observed("d1", "a", "s5")).await?,
        SeenOutcome::Returned
    );
    let back = devices.get("d1").await?.expect("stored");
    assert_eq!((back.status.as_str(), back.missed_scans), ("present", 0));
    assert!(matches!(
        devices.record_missed("unknown", "s6", 2).await,
        Err(StoreError::NotFound { .. })
    ));
    Ok(())
}

async fn scans_start_running_and_finish_with_counts(store: &Store) -> anyhow::Result<()> {
    let scans = store.scans();
    let started = scans
        .start(&NewScan {
            id: "s1".to_string(),
            requested_by: "operator".to_string(),
            targets: "192.0.2.0/24".to_string(),
        })
        .await?;
    assert_eq!(started.status, "running");
    assert_eq!(started.finished_at_ms, None);
    let finished = scans
        .finish(
            "s1",
            &ScanSummary {
                status: "finished".to_string(),
                hosts_total: 254,
                hosts_answered: 3,
                new_devices: 2,
                changed_devices: 1,
                gone_devices: 0,
                detail: String::new(),
            },
        )
        .await?;
    assert_eq!(finished.status, "finished");
    assert_eq!(
        (
            finished.hosts_total,
            finished.hosts_answered,
            finished.new_devices
        ),
        (254, 3, 2)
    );
    assert!(finished.finished_at_ms.is_some());
    let duplicate = scans
        .start(&NewScan {
            id: "s1".to_string(),
            requested_by: "x".to_string(),
            targets: "x".to_string(),
        })
        .await;
    assert!(
        matches!(duplicate, Err(StoreError::Conflict { .. })),
        "{duplicate:?}"
    );
    scans
        .start(&NewScan {
            id: "s2".to_string(),
            requested_by: "operator".to_string(),
            targets: "192.0.2.7".to_string(),
        })
        .await?;
    let listed: Vec<String> = scans
        .list(10)
        .await?
        .into_iter()
        .map(|scan| scan.id)
        .collect();
    assert_eq!(listed.len(), 2);
    assert_eq!(scans.list(1).await?.len(), 1);
    assert!(matches!(
        scans.finish("nope", &ScanSummary::default()).await,
        Err(StoreError::NotFound { .. })
    ));
    Ok(())
}

store::test_on_both_backends!(
    devices_are_new_then_unchanged_then_changed,
    devices_go_after_the_missed_threshold_and_can_return,
    scans_start_running_and_finish_with_counts,
);
