//! SNMP scanning against a real Debian snmpd started by the test: v2c, v1 and v3 authPriv
//! inventories, credential sets tried in order, wrong credentials, a host that never answers
//! (timeout), a closed port (refused), and a CIDR range where only one address answers.

mod peers;

use std::net::{IpAddr, UdpSocket};

use autodeploy::SnmpVersion;
use autodeploy::scan::snmp_probe::probe_snmp_host;
use autodeploy::scan::{
    Inventory, ProbeStatus, ScanSettings, SnmpCredential, SnmpScanSettings, run_scan,
};
use peers::{SnmpAgent, community_credential, v3_credential};

fn settings(port: u16, credentials: Vec<SnmpCredential>) -> SnmpScanSettings {
    SnmpScanSettings {
        port,
        credentials,
        timeout_ms: 300,
        retries: 1,
        ..SnmpScanSettings::default()
    }
}

fn localhost() -> IpAddr {
    "127.0.0.1".parse().unwrap()
}

fn snmp_inventory(
    result: &autodeploy::scan::HostResult,
) -> &autodeploy::scan::result::SnmpInventory {
    assert_eq!(result.status, ProbeStatus::Found, "{}", result.detail);
    match &result.devices[0].inventory {
        Inventory::Snmp(snmp) => snmp,
        other => panic!("expected an SNMP inventory, got {other:?}"),
    }
}

#[tokio::test]
async fn v2c_scan_reads_the_system_group_and_the_interface_summary() {
    let agent = SnmpAgent::start().await;
    let result = probe_snmp_host(
        localhost(),
        &settings(agent.port, vec![community_credential()]),
    )
    .await;
    let inventory = snmp_inventory(&result);
    assert_eq!(inventory.version, SnmpVersion::V2c);
    assert_eq!(inventory.credential, "site-v2c");
    assert_eq!(inventory.sys_name, peers::SYS_NAME);
    assert_eq!(inventory.sys_location, peers::SYS_LOCATION);
    assert!(
        inventory.sys_object_id.starts_with(".1.3.6.1.4.1.8072."),
        "{}",
        inventory.sys_object_id
    );
    assert!(
        inventory.sys_descr.contains("Linux"),
        "{}",
        inventory.sys_descr
    );
    assert!(
        inventory.sys_uptime_ticks < 100 * 600,
        "a fresh agent: {}",
        inventory.sys_uptime_ticks
    );
    let if_number = inventory.if_number.expect("ifNumber");
    assert!(if_number >= 1);
    assert_eq!(inventory.interfaces.len() as i64, if_number);
    let loopback = inventory
        .interfaces
        .iter()
        .find(|row| row.descr == "lo")
        .expect("lo interface");
    assert_eq!(loopback.if_type, 24, "softwareLoopback");
    assert_eq!(
        result.devices[0].id,
        format!("snmp-127.0.0.1-{}", agent.port)
    );
}

#[tokio::test]
async fn v1_is_supported_too() {
    let agent = SnmpAgent::start().await;
    let credential = SnmpCredential::community(SnmpVersion::V1, peers::COMMUNITY);
    let result = probe_snmp_host(localhost(), &settings(agent.port, vec![credential])).await;
    let inventory = snmp_inventory(&result);
    assert_eq!(inventory.version, SnmpVersion::V1);
    assert_eq!(inventory.sys_name, peers::SYS_NAME);
    assert!(!inventory.interfaces.is_empty());
}

#[tokio::test]
async fn v3_auth_priv_answers_after_wrong_credential_sets_tried_first() {
    let agent = SnmpAgent::start().await;
    let wrong_community = SnmpCredential::community(SnmpVersion::V2c, "not-the-community");
    let mut wrong_password = SnmpCredential::usm(
        peers::V3_USER,
        ("SHA", "wrong-auth-pass"),
        ("AES", "wrong-priv-pass"),
    );
    wrong_password.name = "v3-wrong".to_string();
    let credentials = vec![wrong_community, wrong_password, v3_credential()];
    let result = probe_snmp_host(localhost(), &settings(agent.port, credentials)).await;
    let inventory = snmp_inventory(&result);
    assert_eq!(inventory.version, SnmpVersion::V3);
    assert_eq!(inventory.credential, format!("v3-{}", peers::V3_USER));
    assert_eq!(inventory.sys_name, peers::SYS_NAME);
    assert!(!inventory.interfaces.is_empty());
}

#[tokio::test]
async fn wrong_credentials_give_a_clear_status_without_secrets() {
    let agent = SnmpAgent::start().await;
    let unknown_user = SnmpCredential::usm(
        "nobody",
        ("SHA", "whatever-secret"),
        ("AES", "whatever-secret"),
    );
    let result = probe_snmp_host(localhost(), &settings(agent.port, vec![unknown_user])).await;
    assert_eq!(
        result.status,
        ProbeStatus::AuthenticationFailed,
        "{}",
        result.detail
    );
    assert!(result.detail.contains("v3-nobody"), "{}", result.detail);
    assert!(!result.detail.contains("whatever-secret"));

    let wrong_community = SnmpCredential::community(SnmpVersion::V2c, "not-the-community");
    let result = probe_snmp_host(localhost(), &settings(agent.port, vec![wrong_community])).await;
    // An agent drops requests with a wrong community: indistinguishable from silence.
    assert_eq!(result.status, ProbeStatus::NoResponse, "{}", result.detail);
    assert!(
        result.detail.contains("no answer within 300 ms"),
        "{}",
        result.detail
    );
    assert!(!result.detail.contains("not-the-community"));
}

#[tokio::test]
async fn a_silent_host_times_out_and_a_closed_port_is_refused() {
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    let result = probe_snmp_host(
        localhost(),
        &settings(silent_port, vec![community_credential()]),
    )
    .await;
    assert_eq!(result.status, ProbeStatus::NoResponse, "{}", result.detail);
    drop(silent);
    let result = probe_snmp_host(
        localhost(),
        &settings(silent_port, vec![community_credential()]),
    )
    .await;
    assert_eq!(result.status, ProbeStatus::Refused, "{}", result.detail);
}

#[tokio::test]
async fn a_range_scan_reports_every_host_and_finds_the_agent() {
    let agent = SnmpAgent::start_on("127.0.0.1").await;
    let scan_settings = ScanSettings {
        concurrency: 16,
        snmp: settings(agent.port, vec![community_credential()]),
        ..ScanSettings::default()
    };
    let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel();
    let report = run_scan(&["127.0.0.0/29".to_string()], &scan_settings, Some(sender))
        .await
        .unwrap();
    assert_eq!(report.hosts_total, 6);
    assert_eq!(report.hosts.len(), 6);
    let found: Vec<&str> = report
        .hosts
        .iter()
        .filter(|host| host.status == ProbeStatus::Found)
        .map(|host| host.address.as_str())
        .collect();
    assert_eq!(found, vec!["127.0.0.1"]);
    assert_eq!(report.devices().len(), 1);
    let mut last = None;
    while let Ok(progress) = receiver.try_recv() {
        last = Some(progress);
    }
    let last = last.expect("progress events");
    assert_eq!(
        (last.hosts_done, last.hosts_total, last.devices_found),
        (6, 6, 1)
    );

    let error = run_scan(&["127.0.0.0/33".to_string()], &scan_settings, None)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("`127.0.0.0/33`"), "{error}");
}
