//! From a scanned device to the [`Device`] the profile catalogue and the generator take. The
//! SNMP credential set that answered gives the environment variable names Telegraf reads the
//! secrets from; the secrets themselves never reach a device or a generated file.

use crate::device::{Device, DeviceProtocol, SnmpCredentialReference, SnmpSecurityLevel};
use crate::scan::result::{Inventory, ScannedDevice};
use crate::scan::settings::SnmpCredential;

/// Builds the device; `credentials` are the scan's SNMP credential sets (the one whose label
/// the inventory names is used; the first when none matches).
pub fn device_from_scan(scanned: &ScannedDevice, credentials: &[SnmpCredential]) -> Device {
    let (protocol, sys_object_id, vendor, location) = match &scanned.inventory {
        Inventory::Snmp(snmp) => {
            let credential = credentials
                .iter()
                .find(|credential| credential.label() == snmp.credential)
                .or(credentials.first());
            let reference = credential.map(credential_reference).unwrap_or(
                SnmpCredentialReference::Community {
                    community_env: "SNMP_COMMUNITY".to_string(),
                },
            );
            (
                DeviceProtocol::Snmp {
                    port: scanned.port,
                    version: snmp.version,
                    credentials: reference,
                },
                Some(snmp.sys_object_id.clone()).filter(|oid| !oid.is_empty()),
                None,
                Some(snmp.sys_location.clone()).filter(|location| !location.is_empty()),
            )
        }
        Inventory::Modbus(modbus) => (
            DeviceProtocol::Modbus {
                port: scanned.port,
                unit_id: modbus.unit_id,
            },
            None,
            Some(modbus.vendor_name.clone()).filter(|vendor| !vendor.is_empty()),
            None,
        ),
    };
    Device {
        id: scanned.id.clone(),
        address: scanned.address.clone(),
        protocol,
        sys_object_id,
        vendor,
        name: Some(scanned.display_name()).filter(|name| !name.is_empty()),
        location,
        profile: None,
    }
}

fn credential_reference(credential: &SnmpCredential) -> SnmpCredentialReference {
    if credential.security_name.is_empty() {
        return SnmpCredentialReference::Community {
            community_env: credential.community_env.clone(),
        };
    }
    let has_auth = !credential.auth_protocol.is_empty();
    let has_privacy = !credential.privacy_protocol.is_empty();
    let security_level = match (has_auth, has_privacy) {
        (false, _) => SnmpSecurityLevel::NoAuthNoPriv,
        (true, false) => SnmpSecurityLevel::AuthNoPriv,
        (true, true) => SnmpSecurityLevel::AuthPriv,
    };
    SnmpCredentialReference::Usm {
        security_name: credential.security_name.clone(),
        security_level,
        auth_protocol: Some(credential.auth_protocol.clone()).filter(|_| has_auth),
        auth_password_env: Some(credential.auth_password_env.clone()).filter(|_| has_auth),
        privacy_protocol: Some(credential.privacy_protocol.clone()).filter(|_| has_privacy),
        privacy_password_env: Some(credential.privacy_password_env.clone()).filter(|_| has_privacy),
        context_name: None,
    }
}
