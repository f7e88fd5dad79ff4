//! Recording scans: a scan of the real snmpd stores the device as new and publishes
//! `io.detectviz.device.new` on `dv:deploy`; the same scan again changes nothing; a changed
//! inventory is `changed`; with the agent stopped, the device is gone after two missed
//! scans. Runs on SQLite and MariaDB, with the embedded bus.

mod peers;

use autodeploy::scan::{
    DEPLOY_STREAM, Inventory, ScanRecorder, ScanSettings, SnmpScanSettings, run_scan,
};
use eventbus::{BusBackend, BusConfig, EntryId, EventBus, ReplayFrom};
use peers::{SnmpAgent, community_credential};
use store::Store;

async fn embedded_bus(directory: &std::path::Path) -> EventBus {
    let config = BusConfig {
        backend: BusBackend::Embedded,
        embedded_path: directory.join("bus.db"),
        ..BusConfig::default()
    };
    eventbus::connect(&config).await.expect("embedded bus")
}

async fn event_types(bus: &EventBus) -> Vec<String> {
    bus.replay(DEPLOY_STREAM, ReplayFrom::Id(EntryId::ZERO), 1000)
        .await
        .unwrap()
        .iter()
        .map(|entry| entry.event().unwrap().event_type)
        .filter(|event_type| !event_type.starts_with("io.detectviz.scan.progress"))
        .collect()
}

async fn scans_record_new_unchanged_changed_and_gone_devices(store: &Store) -> anyhow::Result<()> {
    let directory = tempfile::tempdir()?;
    let bus = embedded_bus(directory.path()).await;
    let recorder = ScanRecorder {
        store,
        bus: Some(&bus),
        gone_after_missed: 2,
    };
    let agent = SnmpAgent::start().await;
    let settings = ScanSettings {
        snmp: SnmpScanSettings {
            port: agent.port,
            credentials: vec![community_credential()],
            timeout_ms: 300,
            retries: 0,
            ..SnmpScanSettings::default()
        },
        ..ScanSettings::default()
    };
    let targets = vec!["127.0.0.1".to_string()];

    recorder.start("scan-1", &targets, "operator").await?;
    let report = run_scan(&targets, &settings, None).await?;
    let (record, changes) = recorder.finish("scan-1", &report).await?;
    assert_eq!(
        (
            record.status.as_str(),
            record.new_devices,
            record.hosts_answered
        ),
        ("finished", 1, 1)
    );
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].change, "new");
    let device_id = changes[0].device_id.clone();
    let stored = store.devices().get(&device_id).await?.expect("stored");
    assert_eq!(stored.name, peers::SYS_NAME);
    assert!(stored.sys_object_id.starts_with(".1.3.6.1.4.1.8072"));
    assert!(stored.inventory.contains("\"interfaces\""));
    assert_eq!(
        event_types(&bus).await,
        vec![
            "io.detectviz.scan.started",
            "io.detectviz.device.new",
            "io.detectviz.scan.finished"
        ]
    );

    recorder.start("scan-2", &targets, "operator").await?;
    let report = run_scan(&targets, &settings, None).await?;
    let (_, changes) = recorder.finish("scan-2", &report).await?;
    assert!(
        changes.is_empty(),
        "uptime moves but is not a change: {changes:?}"
    );

    recorder.start("scan-3", &targets, "operator").await?;
    let mut changed_report = run_scan(&targets, &settings, None).await?;
    if let Inventory::Snmp(snmp) = &mut changed_report.hosts[0].devices[0].inventory {
        snmp.sys_location = "moved to line 4".to_string();
    }
    let (record, changes) = recorder.finish("scan-3", &changed_report).await?;
    assert_eq!(
        (record.changed_devices, changes[0].change.as_str()),
        (1, "changed")
    );

    drop(agent);
    recorder.start("scan-4", &targets, "operator").await?;
    let (_, changes) = recorder
        .finish("scan-4", &run_scan(&targets, &settings, None).await?)
        .await?;
    assert!(changes.is_empty(), "one miss is not gone yet: {changes:?}");
    assert_eq!(
        store
            .devices()
            .get(&device_id)
            .await?
            .expect("stored")
            .missed_scans,
        1
    );
    recorder.start("scan-5", &targets, "operator").await?;
    let (record, changes) = recorder
        .finish("scan-5", &run_scan(&targets, &settings, None).await?)
        .await?;
    assert_eq!(
        (record.gone_devices, changes[0].change.as_str()),
        (1, "gone")
    );
    assert_eq!(
        store
            .devices()
            .get(&device_id)
            .await?
            .expect("stored")
            .status,
        "gone"
    );
    let types = event_types(&bus).await;
    assert_eq!(
        types
            .iter()
            .filter(|t| *t == "io.detectviz.device.changed")
            .count(),
        1
    );
    assert_eq!(
        types
            .iter()
            .filter(|t| *t == "io.detectviz.device.gone")
            .count(),
        1
    );
    assert_eq!(store.scans().list(10).await?.len(), 5);
    Ok(())
}

store::test_on_both_backends!(scans_record_new_unchanged_changed_and_gone_devices);
