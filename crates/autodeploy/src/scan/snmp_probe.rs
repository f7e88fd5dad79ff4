//! Probing one host over SNMP: each credential set in order until one answers, then the
//! MIB-2 system group (sysDescr, sysObjectID, sysUpTime, sysName, sysLocation), ifNumber and
//! a walk of ifDescr and ifType.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};

use crate::scan::result::{
    HostResult, InterfaceSummary, Inventory, ProbeStatus, ScannedDevice, SnmpInventory,
};
use crate::scan::settings::{SnmpCredential, SnmpScanSettings};
use crate::scan::snmp_client::{RequestFailure, SnmpClient, SnmpValue, dotted};

const SYS_DESCR: &[u64] = &[1, 3, 6, 1, 2, 1, 1, 1, 0];
const SYS_OBJECT_ID: &[u64] = &[1, 3, 6, 1, 2, 1, 1, 2, 0];
const SYS_UPTIME: &[u64] = &[1, 3, 6, 1, 2, 1, 1, 3, 0];
const SYS_NAME: &[u64] = &[1, 3, 6, 1, 2, 1, 1, 5, 0];
const SYS_LOCATION: &[u64] = &[1, 3, 6, 1, 2, 1, 1, 6, 0];
const IF_NUMBER: &[u64] = &[1, 3, 6, 1, 2, 1, 2, 1, 0];
const IF_DESCR: &[u64] = &[1, 3, 6, 1, 2, 1, 2, 2, 1, 2];
const IF_TYPE: &[u64] = &[1, 3, 6, 1, 2, 1, 2, 2, 1, 3];

/// The stable id of an SNMP device.
pub fn snmp_device_id(address: IpAddr, port: u16) -> String {
    format!("snmp-{address}-{port}")
}

/// Probes `address` with every credential set in order.
pub async fn probe_snmp_host(address: IpAddr, settings: &SnmpScanSettings) -> HostResult {
    let agent = SocketAddr::new(address, settings.port);
    let mut failures: Vec<(String, RequestFailure)> = Vec::new();
    for credential in &settings.credentials {
        match probe_with_credential(agent, credential, settings).await {
            Ok(inventory) => {
                return HostResult {
                    address: address.to_string(),
                    protocol: "snmp".to_string(),
                    status: ProbeStatus::Found,
                    detail: format!("answered to credential `{}`", credential.label()),
                    devices: vec![ScannedDevice {
                        id: snmp_device_id(address, settings.port),
                        address: address.to_string(),
                        port: settings.port,
                        inventory: Inventory::Snmp(inventory),
                    }],
                };
            }
            Err(failure) if failure.status == ProbeStatus::Refused => {
                failures.push((credential.label(), failure));
                break;
            }
            Err(failure) => failures.push((credential.label(), failure)),
        }
    }
    let status = if failures
        .iter()
        .any(|(_, failure)| failure.status == ProbeStatus::AuthenticationFailed)
    {
        ProbeStatus::AuthenticationFailed
    } else {
        failures
            .last()
            .map(|(_, failure)| failure.status.clone())
            .unwrap_or(ProbeStatus::NoResponse)
    };
    let detail = failures
        .iter()
        .map(|(label, failure)| format!("{label}: {}", failure.detail))
        .collect::<Vec<_>>()
        .join("; ");
    HostResult {
        address: address.to_string(),
        protocol: "snmp".to_string(),
        status,
        detail,
        devices: Vec::new(),
    }
}

async fn probe_with_credential(
    agent: SocketAddr,
    credential: &SnmpCredential,
    settings: &SnmpScanSettings,
) -> Result<SnmpInventory, RequestFailure> {
    let timeout = std::time::Duration::from_millis(settings.timeout_ms);
    let mut client = SnmpClient::open(agent, credential, timeout, settings.retries).await?;
    let system = client
        .get(&[
            SYS_DESCR.to_vec(),
            SYS_OBJECT_ID.to_vec(),
            SYS_UPTIME.to_vec(),
            SYS_NAME.to_vec(),
            SYS_LOCATION.to_vec(),
        ])
        .await?;
    let value_of = |oid: &[u64]| -> SnmpValue {
        system
            .iter()
            .find(|(answered, _)| answered == oid)
            .map(|(_, value)| value.clone())
            .unwrap_or(SnmpValue::Missing)
    };
    let sys_object_id = match value_of(SYS_OBJECT_ID) {
        SnmpValue::ObjectId(parts) => dotted(&parts),
        _ => String::new(),
    };
    let sys_uptime_ticks = match value_of(SYS_UPTIME) {
        SnmpValue::Unsigned(ticks) => ticks,
        _ => 0,
    };
    let if_number = match client.get(&[IF_NUMBER.to_vec()]).await?.first() {
        Some((_, SnmpValue::Integer(count))) => Some(*count),
        _ => None,
    };
    let interfaces = interface_summary(&mut client, settings.max_interfaces).await?;
    Ok(SnmpInventory {
        version: credential.version,
        credential: credential.label(),
        sys_descr: value_of(SYS_DESCR).as_text(),
        sys_object_id,
        sys_name: value_of(SYS_NAME).as_text(),
        sys_location: value_of(SYS_LOCATION).as_text(),
        sys_uptime_ticks,
        if_number,
        interfaces,
    })
}

async fn interface_summary(
    client: &mut SnmpClient,
    limit: usize,
) -> Result<Vec<InterfaceSummary>, RequestFailure> {
    let mut rows: BTreeMap<u64, InterfaceSummary> = BTreeMap::new();
    for (oid, value) in client.walk(IF_DESCR, limit).await? {
        let Some(&index) = oid.last() else { continue };
        rows.insert(
            index,
            InterfaceSummary {
                index,
                descr: value.as_text(),
                if_type: 0,
            },
        );
    }
    for (oid, value) in client.walk(IF_TYPE, limit).await? {
        let (Some(&index), SnmpValue::Integer(if_type)) = (oid.last(), value) else {
            continue;
        };
        if let Some(row) = rows.get_mut(&index) {
            row.if_type = if_type;
        }
    }
    Ok(rows.into_values().collect())
}
