//! What a scan does: which protocols, with which credentials, how fast and how patiently.
//! Credentials hold secrets used only for the scan; `Debug` masks them, and the device
//! records and generated Telegraf files carry only the environment variable names Telegraf
//! resolves (`community_env`, `auth_password_env`, `privacy_password_env`).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::device::SnmpVersion;
use crate::error::AutodeployError;

/// Settings of one scan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScanSettings {
    /// How many hosts are probed at the same time.
    pub concurrency: usize,
    pub snmp: SnmpScanSettings,
    pub modbus: ModbusScanSettings,
}

impl Default for ScanSettings {
    fn default() -> ScanSettings {
        ScanSettings {
            concurrency: 256,
            snmp: SnmpScanSettings::default(),
            modbus: ModbusScanSettings::default(),
        }
    }
}

/// SNMP part of a scan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SnmpScanSettings {
    pub enabled: bool,
    pub port: u16,
    /// Tried in order; the first that answers wins.
    pub credentials: Vec<SnmpCredential>,
    /// How long one request waits for its answer.
    pub timeout_ms: u64,
    /// Extra attempts after a request timed out.
    pub retries: u32,
    /// At most this many interface rows are read per host.
    pub max_interfaces: usize,
}

impl Default for SnmpScanSettings {
    fn default() -> SnmpScanSettings {
        SnmpScanSettings {
            enabled: true,
            port: 161,
            credentials: vec![SnmpCredential::community(SnmpVersion::V2c, "public")],
            timeout_ms: 1_000,
            retries: 1,
            max_interfaces: 512,
        }
    }
}

/// Modbus TCP part of a scan. Only read functions are sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModbusScanSettings {
    pub enabled: bool,
    pub port: u16,
    /// First and last unit id probed on each host that accepts the TCP connection.
    pub first_unit_id: u8,
    pub last_unit_id: u8,
    /// Pause between two unit ids on one host: PLCs and gateways dislike fast scans.
    pub unit_delay_ms: u64,
    /// Connect and per-request timeout.
    pub timeout_ms: u64,
}

impl Default for ModbusScanSettings {
    fn default() -> ModbusScanSettings {
        ModbusScanSettings {
            enabled: false,
            port: 502,
            first_unit_id: 1,
            last_unit_id: 4,
            unit_delay_ms: 100,
            timeout_ms: 1_000,
        }
    }
}

/// One set of SNMP credentials.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnmpCredential {
    /// Shown in results instead of the secret (`site-ro`, `v3-ops`).
    #[serde(default)]
    pub name: String,
    pub version: SnmpVersion,
    /// v1 and v2c community.
    #[serde(default)]
    pub community: String,
    /// Environment variable Telegraf reads the community (or v3 passwords) from.
    #[serde(default = "default_community_env")]
    pub community_env: String,
    /// v3 user name; empty for v1/v2c.
    #[serde(default)]
    pub security_name: String,
    /// v3: `MD5`, `SHA`, `SHA224`, `SHA256`, `SHA384`, `SHA512`; empty for noAuthNoPriv.
    #[serde(default)]
    pub auth_protocol: String,
    #[serde(default)]
    pub auth_password: String,
    #[serde(default = "default_auth_password_env")]
    pub auth_password_env: String,
    /// v3: `DES`, `AES` (128), `AES192`, `AES256`; empty for no privacy.
    #[serde(default)]
    pub privacy_protocol: String,
    #[serde(default)]
    pub privacy_password: String,
    #[serde(default = "default_privacy_password_env")]
    pub privacy_password_env: String,
}

fn default_community_env() -> String {
    "SNMP_COMMUNITY".to_string()
}

fn default_auth_password_env() -> String {
    "SNMP_AUTH_PASSWORD".to_string()
}

fn default_privacy_password_env() -> String {
    "SNMP_PRIVACY_PASSWORD".to_string()
}

impl std::fmt::Debug for SnmpCredential {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("SnmpCredential")
            .field("name", &self.name)
            .field("version", &self.version)
            .field("community", &"***")
            .field("security_name", &self.security_name)
            .field("auth_protocol", &self.auth_protocol)
            .field("auth_password", &"***")
            .field("privacy_protocol", &self.privacy_protocol)
            .field("privacy_password", &"***")
            .finish()
    }
}

impl SnmpCredential {
    /// A v1 or v2c community credential.
    pub fn community(version: SnmpVersion, community: &str) -> SnmpCredential {
        SnmpCredential {
            name: format!("{version:?}").to_lowercase(),
            version,
            community: community.to_string(),
            community_env: default_community_env(),
            security_name: String::new(),
            auth_protocol: String::new(),
            auth_password: String::new(),
            auth_password_env: default_auth_password_env(),
            privacy_protocol: String::new(),
            privacy_password: String::new(),
            privacy_password_env: default_privacy_password_env(),
        }
    }

    /// A v3 USM credential; empty protocols mean no authentication or no privacy.
    pub fn usm(security_name: &str, auth: (&str, &str), privacy: (&str, &str)) -> SnmpCredential {
        SnmpCredential {
            name: format!("v3-{security_name}"),
            security_name: security_name.to_string(),
            auth_protocol: auth.0.to_string(),
            auth_password: auth.1.to_string(),
            privacy_protocol: privacy.0.to_string(),
            privacy_password: privacy.1.to_string(),
            ..SnmpCredential::community(SnmpVersion::V3, "")
        }
    }

    /// The label results show for this credential.
    pub fn label(&self) -> String {
        if !self.name.is_empty() {
            return self.name.clone();
        }
        format!("{:?}", self.version).to_lowercase()
    }
}

impl ScanSettings {
    /// Checks ranges and names; an error names the key.
    pub fn validate(&self) -> Result<(), AutodeployError> {
        if self.concurrency == 0 || self.concurrency > 4096 {
            return Err(setting("concurrency", "must be between 1 and 4096"));
        }
        if !self.snmp.enabled && !self.modbus.enabled {
            return Err(setting(
                "snmp.enabled",
                "neither SNMP nor Modbus is enabled",
            ));
        }
        if self.snmp.enabled && self.snmp.credentials.is_empty() {
            return Err(setting(
                "snmp.credentials",
                "SNMP is enabled but no credentials are given",
            ));
        }
        if self.snmp.timeout_ms == 0 || self.modbus.timeout_ms == 0 {
            return Err(setting("timeout_ms", "must be above 0"));
        }
        if self.modbus.first_unit_id > self.modbus.last_unit_id {
            return Err(setting(
                "modbus.first_unit_id",
                "is above modbus.last_unit_id",
            ));
        }
        for credential in &self.snmp.credentials {
            credential.validate()?;
        }
        Ok(())
    }

    pub fn snmp_timeout(&self) -> Duration {
        Duration::from_millis(self.snmp.timeout_ms)
    }
}

impl SnmpCredential {
    fn validate(&self) -> Result<(), AutodeployError> {
        let label = self.label();
        let problem = match self.version {
            SnmpVersion::V1 | SnmpVersion::V2c if self.community.is_empty() => {
                Some("a v1/v2c credential needs a community")
            }
            SnmpVersion::V3 if self.security_name.is_empty() => {
                Some("a v3 credential needs a security_name")
            }
            SnmpVersion::V3
                if self.auth_protocol.is_empty() && !self.privacy_protocol.is_empty() =>
            {
                Some("privacy without authentication is not a USM security level")
            }
            _ => None,
        };
        if let Some(reason) = problem {
            return Err(AutodeployError::InvalidScanSetting {
                key: "snmp.credentials",
                reason: format!("credential `{label}`: {reason}"),
            });
        }
        Ok(())
    }
}

fn setting(key: &'static str, reason: &str) -> AutodeployError {
    AutodeployError::InvalidScanSetting {
        key,
        reason: reason.to_string(),
    }
}

/// The commented sample settings file (`scan.sample.toml`).
pub const SCAN_SAMPLE_TOML: &str = include_str!("../../scan.sample.toml");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_parses_validates_and_keeps_the_defaults() {
        let settings: ScanSettings = toml::from_str(SCAN_SAMPLE_TOML).unwrap();
        settings.validate().unwrap();
        let defaults = ScanSettings::default();
        assert_eq!(settings.concurrency, defaults.concurrency);
        assert_eq!(settings.modbus, defaults.modbus);
        assert_eq!(settings.snmp.timeout_ms, defaults.snmp.timeout_ms);
        assert_eq!(settings.snmp.credentials.len(), 2);
        assert_eq!(settings.snmp.credentials[1].version, SnmpVersion::V3);
        assert!(
            !format!("{settings:?}").contains("change-me"),
            "Debug masks secrets"
        );
    }

    #[test]
    fn bad_settings_name_the_key() {
        let mut settings = ScanSettings::default();
        settings.modbus.first_unit_id = 9;
        settings.modbus.last_unit_id = 2;
        assert!(
            settings
                .validate()
                .unwrap_err()
                .to_string()
                .contains("modbus.first_unit_id")
        );
        let mut settings = ScanSettings::default();
        settings.snmp.credentials = vec![SnmpCredential::usm("", ("SHA", "x"), ("", ""))];
        assert!(
            settings
                .validate()
                .unwrap_err()
                .to_string()
                .contains("security_name")
        );
        let unknown = toml::from_str::<ScanSettings>("[snmp]\ncommunity = \"x\"\n").unwrap_err();
        assert!(unknown.to_string().contains("community"), "{unknown}");
    }
}
