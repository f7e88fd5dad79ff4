//! Typed Telegraf configuration for the input plugins Detectviz generates: `inputs.snmp`,
//! `inputs.modbus` (request style), `inputs.http_response` and `inputs.net_response`.
//! Every field here is a documented option of its plugin (checked by a test against the
//! Telegraf reference); files are produced by serialising these structs, never by pasting
//! strings together.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::error::AutodeployError;

/// One file for telegraf.d.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TelegrafFile {
    pub inputs: TelegrafInputs,
}

/// The `[[inputs.*]]` blocks of one file.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TelegrafInputs {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub snmp: Vec<SnmpInput>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub modbus: Vec<ModbusInput>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub http_response: Vec<HttpResponseInput>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub net_response: Vec<NetResponseInput>,
}

/// `[[inputs.snmp]]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SnmpInput {
    pub agents: Vec<String>,
    pub version: u8,
    /// `${ENV}` reference, v1/v2c only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub community: Option<String>,
    pub timeout: String,
    pub retries: u32,
    pub agent_host_tag: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sec_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sec_level: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_protocol: Option<String>,
    /// `${ENV}` reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_password: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priv_protocol: Option<String>,
    /// `${ENV}` reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priv_password: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context_name: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub field: Vec<SnmpField>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub table: Vec<SnmpTable>,
}

/// `[[inputs.snmp.field]]` and `[[inputs.snmp.table.field]]`: numeric OID, explicit name.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SnmpField {
    pub oid: String,
    pub name: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub is_tag: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversion: Option<String>,
}

/// `[[inputs.snmp.table]]` without a table-level OID (no MIB lookup): explicit columns.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SnmpTable {
    pub name: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub inherit_tags: Vec<String>,
    pub index_as_tag: bool,
    pub field: Vec<SnmpField>,
}

/// `[[inputs.modbus]]` in request style.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModbusInput {
    /// Device name; Telegraf writes it as the `name` tag.
    pub name: String,
    pub controller: String,
    pub timeout: String,
    pub configuration_type: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    pub request: Vec<ModbusRequest>,
}

/// `[[inputs.modbus.request]]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModbusRequest {
    pub slave_id: u8,
    pub byte_order: String,
    pub register: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub measurement: Option<String>,
    pub fields: Vec<ModbusField>,
}

/// One entry of a request's `fields`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModbusField {
    pub address: u16,
    pub name: String,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub data_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub length: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale: Option<f64>,
}

/// `[[inputs.http_response]]`: one block per health-check target.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HttpResponseInput {
    pub alias: String,
    pub urls: Vec<String>,
    pub method: String,
    pub response_timeout: String,
    pub follow_redirects: bool,
    /// 0 disables the check; otherwise a mismatch gives `result=response_status_code_mismatch`.
    pub response_status_code: u16,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

/// `[[inputs.net_response]]`: one block per TCP health-check target.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NetResponseInput {
    pub alias: String,
    pub protocol: String,
    pub address: String,
    pub timeout: String,
    pub fieldexclude: Vec<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

/// Serialise `file` to TOML preceded by a comment naming what generated it.
pub fn render_telegraf_file(
    header_comment: &str,
    file: &TelegrafFile,
) -> Result<String, AutodeployError> {
    let body =
        toml::to_string(file).map_err(|error| AutodeployError::Serialize(error.to_string()))?;
    let mut text = String::new();
    for line in header_comment.lines() {
        text.push_str("# ");
        text.push_str(line);
        text.push('\n');
    }
    text.push('\n');
    text.push_str(&body);
    Ok(text)
}
