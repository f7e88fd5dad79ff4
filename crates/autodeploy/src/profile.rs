//! Device profiles: which SNMP fields and tables, or which Modbus registers, Telegraf collects
//! for a kind of device. Profiles are TOML files in one directory
//! (`conf/provisioning/templates/telegraf/`); a device gets the profile it names, else the one
//! with the longest sysObjectID prefix match, else one listing its vendor, else `generic`.
//! SNMP OIDs are numeric with explicit names, so Telegraf needs no MIB files.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::device::Device;
use crate::error::AutodeployError;

/// The name of the fallback profile every profile directory must contain.
pub const GENERIC_PROFILE_NAME: &str = "generic";

/// One profile file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default, rename = "match")]
    pub matching: ProfileMatch,
    #[serde(default)]
    pub snmp: SnmpProfile,
    #[serde(default)]
    pub modbus: ModbusProfile,
}

/// Which devices a profile is for.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileMatch {
    #[serde(default)]
    pub sys_object_id_prefixes: Vec<String>,
    #[serde(default)]
    pub vendors: Vec<String>,
}

/// SNMP scalars and tables to collect.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnmpProfile {
    #[serde(default)]
    pub fields: Vec<SnmpFieldProfile>,
    #[serde(default)]
    pub tables: Vec<SnmpTableProfile>,
}

/// One SNMP value with its numeric OID and explicit name.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnmpFieldProfile {
    pub name: String,
    pub oid: String,
    #[serde(default)]
    pub is_tag: bool,
    #[serde(default)]
    pub conversion: Option<String>,
}

/// One SNMP table written as an explicit column list (no table-level OID).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnmpTableProfile {
    pub name: String,
    #[serde(default)]
    pub inherit_tags: Vec<String>,
    pub fields: Vec<SnmpFieldProfile>,
}

/// Modbus register map, in Telegraf's request style.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModbusProfile {
    #[serde(default)]
    pub requests: Vec<ModbusRequestProfile>,
}

/// One block of registers of one kind read together.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModbusRequestProfile {
    /// `coil`, `discrete`, `holding` or `input`.
    pub register: String,
    #[serde(default = "default_byte_order")]
    pub byte_order: String,
    #[serde(default)]
    pub measurement: Option<String>,
    pub fields: Vec<ModbusFieldProfile>,
}

fn default_byte_order() -> String {
    "ABCD".to_string()
}

/// One register (or register group) with its name and data type.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModbusFieldProfile {
    pub address: u16,
    pub name: String,
    /// Data type; only for holding and input registers.
    #[serde(default, rename = "type")]
    pub data_type: Option<String>,
    #[serde(default)]
    pub scale: Option<f64>,
    #[serde(default)]
    pub length: Option<u16>,
}

const MODBUS_REGISTER_KINDS: &[&str] = &["coil", "discrete", "holding", "input"];
const MODBUS_BYTE_ORDERS: &[&str] = &["AB", "BA", "ABCD", "DCBA", "BADC", "CDAB"];
const MODBUS_DATA_TYPES: &[&str] = &[
    "BIT", "INT8L", "INT8H", "UINT8L", "UINT8H", "INT16", "UINT16", "INT32", "UINT32", "INT64",
    "UINT64", "FLOAT16", "FLOAT32", "FLOAT64", "STRING",
];

/// Whether `oid` is a numeric OID such as `.1.3.6.1.2.1.1.3.0` (leading dot optional).
pub fn is_numeric_oid(oid: &str) -> bool {
    let digits = oid.strip_prefix('.').unwrap_or(oid);
    !digits.is_empty()
        && digits
            .split('.')
            .all(|arc| !arc.is_empty() && arc.chars().all(|character| character.is_ascii_digit()))
}

impl Profile {
    /// Parse one profile file's text; errors name `file` and the offending key.
    pub fn parse(file: &Path, text: &str) -> Result<Profile, AutodeployError> {
        let profile: Profile = toml::from_str(text).map_err(|error| AutodeployError::Profile {
            file: file.to_path_buf(),
            key: error_key_from_message(error.message()),
            reason: error.to_string().trim().replace('\n', " "),
        })?;
        profile.check(file)?;
        Ok(profile)
    }

    fn check(&self, file: &Path) -> Result<(), AutodeployError> {
        let problem = |key: String, reason: String| AutodeployError::Profile {
            file: file.to_path_buf(),
            key,
            reason,
        };
        if self.name.trim().is_empty() {
            return Err(problem("name".into(), "must not be empty".into()));
        }
        for (index, prefix) in self.matching.sys_object_id_prefixes.iter().enumerate() {
            if !is_numeric_oid(prefix) {
                let key = format!("match.sys_object_id_prefixes[{index}]");
                return Err(problem(key, format!("`{prefix}` is not a numeric OID")));
            }
        }
        check_snmp_fields(&self.snmp.fields, "snmp.fields", &problem)?;
        for (table_index, table) in self.snmp.tables.iter().enumerate() {
            let table_key = format!("snmp.tables[{table_index}]");
            if table.name.trim().is_empty() {
                return Err(problem(
                    format!("{table_key}.name"),
                    "must not be empty".into(),
                ));
            }
            if table.fields.is_empty() {
                return Err(problem(
                    format!("{table_key}.fields"),
                    "a table needs at least one column".into(),
                ));
            }
            check_snmp_fields(&table.fields, &format!("{table_key}.fields"), &problem)?;
        }
        for (request_index, request) in self.modbus.requests.iter().enumerate() {
            let request_key = format!("modbus.requests[{request_index}]");
            if !MODBUS_REGISTER_KINDS.contains(&request.register.as_str()) {
                let reason = format!(
                    "`{}` is not one of {MODBUS_REGISTER_KINDS:?}",
                    request.register
                );
                return Err(problem(format!("{request_key}.register"), reason));
            }
            if !MODBUS_BYTE_ORDERS.contains(&request.byte_order.as_str()) {
                let reason = format!(
                    "`{}` is not one of {MODBUS_BYTE_ORDERS:?}",
                    request.byte_order
                );
                return Err(problem(format!("{request_key}.byte_order"), reason));
            }
            let is_bit_register = matches!(request.register.as_str(), "coil" | "discrete");
            let mut names = BTreeSet::new();
            for (field_index, field) in request.fields.iter().enumerate() {
                let field_key = format!("{request_key}.fields[{field_index}]");
                if field.name.trim().is_empty() || !names.insert(field.name.as_str()) {
                    return Err(problem(
                        format!("{field_key}.name"),
                        format!("`{}` is empty or repeated", field.name),
                    ));
                }
                match (&field.data_type, is_bit_register) {
                    (Some(_), true) => {
                        let reason = "coil and discrete registers take no type".to_string();
                        return Err(problem(format!("{field_key}.type"), reason));
                    }
                    (None, false) => {
                        return Err(problem(
                            format!("{field_key}.type"),
                            "holding and input registers need a type".into(),
                        ));
                    }
                    (Some(data_type), false)
                        if !MODBUS_DATA_TYPES.contains(&data_type.as_str()) =>
                    {
                        let reason = format!("`{data_type}` is not one of {MODBUS_DATA_TYPES:?}");
                        return Err(problem(format!("{field_key}.type"), reason));
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }

    fn longest_matching_prefix(&self, sys_object_id: &str) -> Option<usize> {
        let wanted = sys_object_id.trim_start_matches('.');
        self.matching
            .sys_object_id_prefixes
            .iter()
            .map(|prefix| prefix.trim_start_matches('.'))
            .filter(|prefix| wanted == *prefix || wanted.starts_with(&format!("{prefix}.")))
            .map(str::len)
            .max()
    }
}

fn check_snmp_fields(
    fields: &[SnmpFieldProfile],
    list_key: &str,
    problem: &dyn Fn(String, String) -> AutodeployError,
) -> Result<(), AutodeployError> {
    let mut names = BTreeSet::new();
    for (index, field) in fields.iter().enumerate() {
        if field.name.trim().is_empty() || !names.insert(field.name.as_str()) {
            let reason = format!("`{}` is empty or repeated", field.name);
            return Err(problem(format!("{list_key}[{index}].name"), reason));
        }
        if !is_numeric_oid(&field.oid) {
            let reason = format!(
                "`{}` is not a numeric OID (MIB names need MIB files in Telegraf)",
                field.oid
            );
            return Err(problem(format!("{list_key}[{index}].oid"), reason));
        }
    }
    Ok(())
}

/// toml reports unknown or missing keys as "unknown field `x`" / "missing field `x`"; pull the
/// key out so the error can name it. Other errors name the whole document.
fn error_key_from_message(message: &str) -> String {
    message
        .split('`')
        .nth(1)
        .filter(|_| message.contains("field"))
        .unwrap_or("(document)")
        .to_string()
}

/// All profiles from one directory.
#[derive(Debug, Clone)]
pub struct ProfileCatalog {
    profiles: Vec<Profile>,
}

impl ProfileCatalog {
    /// Load every `*.toml` file in `directory` (sorted by name). Profile names must be unique,
    /// and `generic` must be among them.
    pub fn load_directory(directory: &Path) -> Result<ProfileCatalog, AutodeployError> {
        let entries = std::fs::read_dir(directory).map_err(|source| {
            AutodeployError::io("reading profile directory", directory, source)
        })?;
        let mut files: Vec<PathBuf> = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|source| {
                AutodeployError::io("reading profile directory", directory, source)
            })?;
            let path = entry.path();
            if path
                .extension()
                .is_some_and(|extension| extension == "toml")
            {
                files.push(path);
            }
        }
        files.sort();
        let mut loaded = Vec::new();
        for file in files {
            let text = std::fs::read_to_string(&file)
                .map_err(|source| AutodeployError::io("reading profile", &file, source))?;
            loaded.push((file.clone(), Profile::parse(&file, &text)?));
        }
        Self::from_profiles(directory, loaded)
    }

    /// Build a catalog from already parsed profiles (with the file each came from).
    pub fn from_profiles(
        directory: &Path,
        profiles_with_files: Vec<(PathBuf, Profile)>,
    ) -> Result<ProfileCatalog, AutodeployError> {
        let mut names = BTreeSet::new();
        for (file, profile) in &profiles_with_files {
            if !names.insert(profile.name.clone()) {
                return Err(AutodeployError::Profile {
                    file: file.clone(),
                    key: "name".into(),
                    reason: format!(
                        "profile name `{}` is used by another file too",
                        profile.name
                    ),
                });
            }
        }
        if !names.contains(GENERIC_PROFILE_NAME) {
            return Err(AutodeployError::MissingGenericProfile {
                directory: directory.to_path_buf(),
            });
        }
        let profiles = profiles_with_files
            .into_iter()
            .map(|(_, profile)| profile)
            .collect();
        Ok(ProfileCatalog { profiles })
    }

    pub fn profiles(&self) -> &[Profile] {
        &self.profiles
    }

    pub fn by_name(&self, name: &str) -> Option<&Profile> {
        self.profiles.iter().find(|profile| profile.name == name)
    }

    /// The profile for `device`: its named profile, else the longest sysObjectID prefix
    /// match, else a vendor match (case-insensitive), else `generic`.
    pub fn select_for(&self, device: &Device) -> Result<&Profile, AutodeployError> {
        if let Some(name) = &device.profile {
            return self.by_name(name).ok_or_else(|| AutodeployError::Generate {
                device_id: device.id.clone(),
                reason: format!("names profile `{name}`, which does not exist"),
            });
        }
        if let Some(sys_object_id) = &device.sys_object_id {
            let best = self
                .profiles
                .iter()
                .filter_map(|profile| {
                    Some((profile.longest_matching_prefix(sys_object_id)?, profile))
                })
                .max_by_key(|(length, _)| *length);
            if let Some((_, profile)) = best {
                return Ok(profile);
            }
        }
        if let Some(vendor) = &device.vendor {
            let vendor_match = self.profiles.iter().find(|profile| {
                profile
                    .matching
                    .vendors
                    .iter()
                    .any(|listed| listed.eq_ignore_ascii_case(vendor.trim()))
            });
            if let Some(profile) = vendor_match {
                return Ok(profile);
            }
        }
        Ok(self
            .by_name(GENERIC_PROFILE_NAME)
            .expect("the catalog is built only with a generic profile"))
    }
}

#[cfg(test)]
#[path = "profile_tests.rs"]
mod profile_tests;
