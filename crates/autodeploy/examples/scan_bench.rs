//! Scan benchmark (`bench/scan.sh`): 20 snmpsim agents on 127.0.1.1-20 and 234 silent
//! hosts on 127.0.1.21-254 (UDP sockets on the agents' port that never answer, so each costs
//! the full timeout and retry, like a dead address on a LAN; loopback would otherwise refuse
//! at once). Sweeps 127.0.1.0/24 with a 1 s timeout and 1 retry and prints one JSON line:
//! wall time, hosts/s, and completeness (agents found with a full inventory). When
//! `onesixtyone` is installed it sweeps the same range with the same community and its wall
//! time and the ratio are printed too. A second sweep, with every address refusing (no
//! agents, no silent sockets), measures the raw probe rate.

use std::net::UdpSocket;
use std::process::Command;
use std::time::Instant;

use autodeploy::SnmpVersion;
use autodeploy::scan::{
    Inventory, ProbeStatus, ScanSettings, SnmpCredential, SnmpScanSettings, run_scan,
};

#[path = "../tests/peers/mod.rs"]
mod peers;

const LIVE_AGENTS: u8 = 20;
const COMMUNITY: &str = peers::SIMULATED_COMMUNITY;

/// One snmpsim process serving an agent on each of 127.0.1.1-20 (waits until all answer).
async fn start_agents() -> peers::SimulatedSubnet {
    let addresses = (1..=LIVE_AGENTS)
        .map(|host| std::net::Ipv4Addr::new(127, 0, 1, host))
        .collect();
    peers::SimulatedSubnet::start(addresses).await
}

fn settings(port: u16) -> ScanSettings {
    ScanSettings {
        concurrency: 256,
        snmp: SnmpScanSettings {
            port,
            credentials: vec![SnmpCredential::community(SnmpVersion::V2c, COMMUNITY)],
            timeout_ms: 1_000,
            retries: 1,
            ..SnmpScanSettings::default()
        },
        ..ScanSettings::default()
    }
}

fn onesixtyone_seconds(port: u16) -> Option<(f64, usize)> {
    let directory = tempfile::tempdir().ok()?;
    let communities = directory.path().join("communities");
    std::fs::write(&communities, format!("{COMMUNITY}\n")).ok()?;
    let started = Instant::now();
    let output = Command::new("onesixtyone")
        .args(["-p", &port.to_string(), "-c"])
        .arg(&communities)
        .arg("127.0.1.0/24")
        .output()
        .ok()?;
    let seconds = started.elapsed().as_secs_f64();
    let found = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|line| line.starts_with("127.0.1.") && line.contains('['))
        .count();
    Some((seconds, found))
}

#[tokio::main]
async fn main() {
    let agents = start_agents().await;
    let port = agents.port;
    let refused_started = Instant::now();
    let refused = run_scan(&["127.0.2.0/24".to_string()], &settings(port), None)
        .await
        .expect("scan");
    let refused_seconds = refused_started.elapsed().as_secs_f64();

    let silent: Vec<UdpSocket> = (u16::from(LIVE_AGENTS) + 1..=254)
        .map(|host| UdpSocket::bind(format!("127.0.1.{host}:{port}")).expect("silent host socket"))
        .collect();

    let started = Instant::now();
    let report = run_scan(&["127.0.1.0/24".to_string()], &settings(port), None)
        .await
        .expect("scan");
    let wall_seconds = started.elapsed().as_secs_f64();
    let complete = report
        .devices()
        .iter()
        .filter(|device| match &device.inventory {
            Inventory::Snmp(snmp) => {
                !snmp.sys_name.is_empty()
                    && !snmp.sys_object_id.is_empty()
                    && !snmp.interfaces.is_empty()
            }
            Inventory::Modbus(_) => false,
        })
        .count();
    let silent_timeouts = report
        .hosts
        .iter()
        .filter(|host| host.status == ProbeStatus::NoResponse)
        .count();
    let peer = onesixtyone_seconds(port);
    drop(silent);
    drop(agents);

    let mut line = serde_json::json!({
        "bench": "scan",
        "range": "127.0.1.0/24",
        "hosts": report.hosts_total,
        "live_agents": LIVE_AGENTS,
        "agents": "snmpsim (one process, 20 UDP endpoints)",
        "silent_hosts": silent_timeouts,
        "timeout_ms": 1000,
        "retries": 1,
        "wall_s": (wall_seconds * 1000.0).round() / 1000.0,
        "hosts_per_s": (report.hosts_total as f64 / wall_seconds).round(),
        "found": report.devices().len(),
        "complete_inventory": complete,
        "target_wall_s": 2.5,
        "refusing_range_hosts_per_s": (refused.hosts_total as f64 / refused_seconds).round(),
    });
    if let Some((seconds, found)) = peer {
        line["peer"] = serde_json::json!("onesixtyone");
        line["peer_wall_s"] = serde_json::json!((seconds * 1000.0).round() / 1000.0);
        line["peer_found"] = serde_json::json!(found);
        line["ratio_wall_vs_peer"] =
            serde_json::json!(((wall_seconds / seconds) * 100.0).round() / 100.0);
    }
    println!("{line}");
}
