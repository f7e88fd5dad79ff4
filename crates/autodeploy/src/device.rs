//! The device model: what a scan found (or a user entered) and how to reach it. Secrets are
//! never stored here, only the names of environment variables Telegraf resolves at load time
//! (`${SNMP_COMMUNITY}`), so generated files and snapshots stay free of credentials.

use serde::{Deserialize, Serialize};

/// One monitored device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Device {
    /// Stable identifier; also the base of the device's file name in telegraf.d.
    pub id: String,
    /// Host name or IP address, without port.
    pub address: String,
    /// How Telegraf talks to the device.
    pub protocol: DeviceProtocol,
    /// SNMP sysObjectID in numeric form (`.1.3.6.1.4.1.8072.3.2.10`), when known.
    #[serde(default)]
    pub sys_object_id: Option<String>,
    /// Vendor name as reported or entered (`Schneider Electric`), when known.
    #[serde(default)]
    pub vendor: Option<String>,
    /// Display name (sysName, or the Modbus device identification).
    #[serde(default)]
    pub name: Option<String>,
    /// Physical location (sysLocation), when known.
    #[serde(default)]
    pub location: Option<String>,
    /// Name of a profile to use instead of matching by sysObjectID or vendor.
    #[serde(default)]
    pub profile: Option<String>,
}

/// The protocol and its connection settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum DeviceProtocol {
    Snmp {
        /// UDP port; 161 when absent.
        #[serde(default = "default_snmp_port")]
        port: u16,
        version: SnmpVersion,
        credentials: SnmpCredentialReference,
    },
    Modbus {
        /// TCP port; 502 when absent.
        #[serde(default = "default_modbus_port")]
        port: u16,
        /// Modbus unit id (Telegraf's `slave_id`), 0..=255.
        unit_id: u8,
    },
}

fn default_snmp_port() -> u16 {
    161
}

fn default_modbus_port() -> u16 {
    502
}

/// SNMP protocol version, written to Telegraf as 1, 2 or 3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SnmpVersion {
    V1,
    V2c,
    V3,
}

impl SnmpVersion {
    /// The number Telegraf's `version` option expects.
    pub fn telegraf_number(self) -> u8 {
        match self {
            SnmpVersion::V1 => 1,
            SnmpVersion::V2c => 2,
            SnmpVersion::V3 => 3,
        }
    }
}

/// Where the SNMP secrets come from: names of environment variables, never the secrets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum SnmpCredentialReference {
    /// v1/v2c community read from `${<community_env>}`.
    Community { community_env: String },
    /// v3 user-based security model.
    Usm {
        security_name: String,
        security_level: SnmpSecurityLevel,
        #[serde(default)]
        auth_protocol: Option<String>,
        #[serde(default)]
        auth_password_env: Option<String>,
        #[serde(default)]
        privacy_protocol: Option<String>,
        #[serde(default)]
        privacy_password_env: Option<String>,
        #[serde(default)]
        context_name: Option<String>,
    },
}

/// SNMPv3 security level, spelled as Telegraf's `sec_level` expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SnmpSecurityLevel {
    #[serde(rename = "noAuthNoPriv")]
    NoAuthNoPriv,
    #[serde(rename = "authNoPriv")]
    AuthNoPriv,
    #[serde(rename = "authPriv")]
    AuthPriv,
}

impl SnmpSecurityLevel {
    pub fn telegraf_name(self) -> &'static str {
        match self {
            SnmpSecurityLevel::NoAuthNoPriv => "noAuthNoPriv",
            SnmpSecurityLevel::AuthNoPriv => "authNoPriv",
            SnmpSecurityLevel::AuthPriv => "authPriv",
        }
    }
}

/// Whether `name` can be used inside `${...}`: letters, digits and underscores, not starting
/// with a digit.
pub fn is_environment_variable_name(name: &str) -> bool {
    let mut characters = name.chars();
    let Some(first) = characters.next() else {
        return false;
    };
    (first.is_ascii_alphabetic() || first == '_')
        && characters.all(|character| character.is_ascii_alphanumeric() || character == '_')
}

/// Whether `id` is safe as a file name stem: ASCII letters, digits, `-`, `_` and `.`, not
/// starting with `.`.
pub fn is_safe_device_id(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('.')
        && id
            .chars()
            .all(|character| character.is_ascii_alphanumeric() || "-_.".contains(character))
}
