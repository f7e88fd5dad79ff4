//! What a scan found: one [`HostResult`] per probed address and protocol, carrying either
//! the inventory of a device or a status saying why there is none.

use serde::{Deserialize, Serialize};

use crate::device::SnmpVersion;

/// How one probe of one host ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProbeStatus {
    /// A device answered and its inventory was read.
    Found,
    /// Nothing answered within the timeout (after the retries), with any credential.
    NoResponse,
    /// The host actively refused (ICMP port unreachable, TCP reset).
    Refused,
    /// An SNMPv3 agent answered but rejected every credential set (unknown user, wrong
    /// password, unsupported security level).
    AuthenticationFailed,
    /// Something answered but the answer was not usable.
    Malformed,
}

/// One probed address for one protocol.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostResult {
    pub address: String,
    pub protocol: String,
    pub status: ProbeStatus,
    /// Why, for anything but `found` (never contains a secret).
    pub detail: String,
    /// Present when `status` is `found`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<ScannedDevice>,
}

/// A device a scan found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScannedDevice {
    /// Stable id: `snmp-<address>-<port>` or `modbus-<address>-<port>-u<unit>`.
    pub id: String,
    pub address: String,
    pub port: u16,
    #[serde(flatten)]
    pub inventory: Inventory,
}

/// Protocol specific inventory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "protocol", rename_all = "snake_case")]
pub enum Inventory {
    Snmp(SnmpInventory),
    Modbus(ModbusInventory),
}

/// The MIB-2 system group and an interface summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnmpInventory {
    pub version: SnmpVersion,
    /// Label of the credential set that answered (never the secret).
    pub credential: String,
    pub sys_descr: String,
    /// Numeric, with a leading dot: `.1.3.6.1.4.1.8072.3.2.10`.
    pub sys_object_id: String,
    pub sys_name: String,
    pub sys_location: String,
    /// Hundredths of a second since the agent started.
    pub sys_uptime_ticks: u64,
    pub if_number: Option<i64>,
    pub interfaces: Vec<InterfaceSummary>,
}

/// One row of ifTable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterfaceSummary {
    pub index: u64,
    pub descr: String,
    /// IANAifType number (6 = ethernetCsmacd, 24 = softwareLoopback).
    pub if_type: i64,
}

/// One Modbus unit that answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModbusInventory {
    pub unit_id: u8,
    /// Which function identified the unit: `read_device_identification`,
    /// `report_server_id` or `read_holding_registers`.
    pub identified_by: String,
    pub vendor_name: String,
    pub product_code: String,
    pub revision: String,
    pub product_name: String,
    pub model_name: String,
    /// Report Server ID payload as hex, when that function answered.
    pub server_id_hex: String,
}

impl ScannedDevice {
    /// What decides whether a device changed between two scans: everything but counters
    /// that move by themselves (sysUpTime).
    pub fn fingerprint(&self) -> String {
        let mut comparable = self.clone();
        if let Inventory::Snmp(snmp) = &mut comparable.inventory {
            snmp.sys_uptime_ticks = 0;
        }
        serde_json::to_string(&comparable).unwrap_or_default()
    }

    /// Display name: sysName, or the Modbus product name.
    pub fn display_name(&self) -> String {
        match &self.inventory {
            Inventory::Snmp(snmp) => snmp.sys_name.clone(),
            Inventory::Modbus(modbus) if !modbus.product_name.is_empty() => {
                modbus.product_name.clone()
            }
            Inventory::Modbus(modbus) => format!("unit {}", modbus.unit_id),
        }
    }

    pub fn protocol_name(&self) -> &'static str {
        match &self.inventory {
            Inventory::Snmp(_) => "snmp",
            Inventory::Modbus(_) => "modbus",
        }
    }
}
