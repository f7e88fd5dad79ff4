//! A simulated subnet: snmpsim serves 12 agents on 127.0.3.1-12 from one process and a scan
//! of 127.0.3.0/28 finds exactly those, each with the full inventory (system group and the
//! interface summary), and reports the two addresses without an agent as not answering.

mod peers;

use autodeploy::scan::{Inventory, ProbeStatus, ScanSettings, SnmpScanSettings, run_scan};
use peers::SimulatedSubnet;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scan_of_the_simulated_subnet_finds_every_agent_with_its_inventory() {
    let addresses: Vec<std::net::Ipv4Addr> = (1..=12)
        .map(|host| std::net::Ipv4Addr::new(127, 0, 3, host))
        .collect();
    let subnet = SimulatedSubnet::start(addresses.clone()).await;
    let settings = ScanSettings {
        snmp: SnmpScanSettings {
            port: subnet.port,
            credentials: vec![SimulatedSubnet::credential()],
            timeout_ms: 500,
            retries: 1,
            ..SnmpScanSettings::default()
        },
        ..ScanSettings::default()
    };
    let report = run_scan(&["127.0.3.0/28".to_string()], &settings, None)
        .await
        .unwrap();
    assert_eq!(report.hosts_total, 14);
    let mut found = Vec::new();
    for host in &report.hosts {
        if host.status != ProbeStatus::Found {
            assert!(
                matches!(host.status, ProbeStatus::NoResponse | ProbeStatus::Refused),
                "{host:?}"
            );
            continue;
        }
        let device = &host.devices[0];
        let Inventory::Snmp(snmp) = &device.inventory else {
            panic!("{device:?}")
        };
        assert_eq!(snmp.sys_object_id, ".1.3.6.1.4.1.8072.3.2.10");
        assert_eq!(
            (snmp.sys_name.as_str(), snmp.sys_location.as_str()),
            ("sim-host", "simulated rack")
        );
        assert!(snmp.sys_descr.contains("snmpsim") && snmp.sys_uptime_ticks > 0);
        let interfaces: Vec<(&str, i64)> = snmp
            .interfaces
            .iter()
            .map(|interface| (interface.descr.as_str(), interface.if_type))
            .collect();
        assert_eq!(interfaces, [("lo", 24), ("eth0", 6)]);
        assert_eq!(snmp.credential, "sim-v2c");
        found.push(host.address.clone());
    }
    found.sort_by_key(|address| address.parse::<std::net::Ipv4Addr>().unwrap());
    let expected: Vec<String> = addresses.iter().map(ToString::to_string).collect();
    assert_eq!(found, expected);
}
