//! Validating a device against its profile before deploying: the device must answer, and
//! each configured field (SNMP OID, or table column) or Modbus register must read with the
//! expected type. The outcome has one [`FieldCheck`] per field.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio_modbus::client::{Context, Reader};
use tokio_modbus::prelude::{Slave, SlaveContext};

use crate::device::{Device, DeviceProtocol};
use crate::profile::{ModbusFieldProfile, Profile, SnmpFieldProfile};
use crate::scan::settings::SnmpCredential;
use crate::scan::snmp_client::{SnmpClient, SnmpValue, parse_numeric_oid};

/// The check of one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldCheck {
    /// Field name, `table.column` for SNMP table columns.
    pub field: String,
    /// OID, or `holding:40` for a Modbus register.
    pub source: String,
    pub expected: String,
    /// What was read: a type name, or `missing`/`error: ...`.
    pub observed: String,
    pub ok: bool,
}

/// The validation of one device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationOutcome {
    pub device_id: String,
    pub profile: String,
    /// Whether the device answered at all.
    pub reachable: bool,
    pub detail: String,
    pub fields: Vec<FieldCheck>,
}

impl ValidationOutcome {
    /// Reachable and every field read with its expected type.
    pub fn passed(&self) -> bool {
        self.reachable && self.fields.iter().all(|field| field.ok)
    }
}

/// Reads every field of `profile` from `device`. `credential` is the SNMP credential set to
/// use (ignored for Modbus); `timeout` bounds each request.
pub async fn validate_device(
    device: &Device,
    profile: &Profile,
    credential: Option<&SnmpCredential>,
    timeout: Duration,
) -> ValidationOutcome {
    let mut outcome = ValidationOutcome {
        device_id: device.id.clone(),
        profile: profile.name.clone(),
        reachable: false,
        detail: String::new(),
        fields: Vec::new(),
    };
    let Ok(address) = device.address.parse::<IpAddr>() else {
        outcome.detail = format!("address `{}` is not an IP address", device.address);
        return outcome;
    };
    match &device.protocol {
        DeviceProtocol::Snmp { port, .. } => {
            let Some(credential) = credential else {
                outcome.detail = "no SNMP credential set to validate with".to_string();
                return outcome;
            };
            validate_snmp(
                SocketAddr::new(address, *port),
                profile,
                credential,
                timeout,
                &mut outcome,
            )
            .await;
        }
        DeviceProtocol::Modbus { port, unit_id } => {
            validate_modbus(
                SocketAddr::new(address, *port),
                *unit_id,
                profile,
                timeout,
                &mut outcome,
            )
            .await;
        }
    }
    outcome
}

async fn validate_snmp(
    agent: SocketAddr,
    profile: &Profile,
    credential: &SnmpCredential,
    timeout: Duration,
    outcome: &mut ValidationOutcome,
) {
    let mut client = match SnmpClient::open(agent, credential, timeout, 1).await {
        Ok(client) => client,
        Err(failure) => {
            outcome.detail = failure.detail;
            return;
        }
    };
    outcome.reachable = true;
    for field in &profile.snmp.fields {
        let check = match parse_numeric_oid(&field.oid) {
            None => failed(
                &field.name,
                &field.oid,
                expected_snmp(field),
                "error: not a numeric OID",
            ),
            Some(oid) => match client.get(&[oid]).await {
                Ok(values) => {
                    snmp_check(&field.name, field, values.first().map(|(_, value)| value))
                }
                Err(failure) => failed(
                    &field.name,
                    &field.oid,
                    expected_snmp(field),
                    &format!("error: {}", failure.detail),
                ),
            },
        };
        outcome.fields.push(check);
    }
    for table in &profile.snmp.tables {
        for column in &table.fields {
            let name = format!("{}.{}", table.name, column.name);
            let check = match parse_numeric_oid(&column.oid) {
                None => failed(
                    &name,
                    &column.oid,
                    expected_snmp(column),
                    "error: not a numeric OID",
                ),
                Some(oid) => match client.walk(&oid, 1).await {
                    Ok(rows) => snmp_check(&name, column, rows.first().map(|(_, value)| value)),
                    Err(failure) => failed(
                        &name,
                        &column.oid,
                        expected_snmp(column),
                        &format!("error: {}", failure.detail),
                    ),
                },
            };
            outcome.fields.push(check);
        }
    }
}

fn expected_snmp(field: &SnmpFieldProfile) -> &'static str {
    match field.conversion.as_deref() {
        Some(conversion) if conversion.starts_with("float") || conversion == "int" => "number",
        _ if field.is_tag => "any",
        _ => "any",
    }
}

fn snmp_check(name: &str, field: &SnmpFieldProfile, value: Option<&SnmpValue>) -> FieldCheck {
    let expected = expected_snmp(field);
    let observed = value.map(SnmpValue::type_name).unwrap_or("missing");
    let ok = match (expected, value) {
        (_, None | Some(SnmpValue::Missing | SnmpValue::Null | SnmpValue::Other)) => false,
        ("number", Some(SnmpValue::Integer(_) | SnmpValue::Unsigned(_))) => true,
        ("number", Some(SnmpValue::Text(text))) => {
            String::from_utf8_lossy(text).trim().parse::<f64>().is_ok()
        }
        ("number", Some(_)) => false,
        _ => true,
    };
    FieldCheck {
        field: name.to_string(),
        source: field.oid.clone(),
        expected: expected.to_string(),
        observed: observed.to_string(),
        ok,
    }
}

fn failed(name: &str, source: &str, expected: &str, observed: &str) -> FieldCheck {
    FieldCheck {
        field: name.to_string(),
        source: source.to_string(),
        expected: expected.to_string(),
        observed: observed.to_string(),
        ok: false,
    }
}

async fn validate_modbus(
    endpoint: SocketAddr,
    unit_id: u8,
    profile: &Profile,
    timeout: Duration,
    outcome: &mut ValidationOutcome,
) {
    let mut context =
        match tokio::time::timeout(timeout, tokio_modbus::client::tcp::connect(endpoint)).await {
            Ok(Ok(context)) => context,
            Ok(Err(error)) => {
                outcome.detail = format!("connect to {endpoint}: {error}");
                return;
            }
            Err(_elapsed) => {
                outcome.detail = format!(
                    "connect to {endpoint}: no answer within {} ms",
                    timeout.as_millis()
                );
                return;
            }
        };
    context.set_slave(Slave(unit_id));
    outcome.reachable = true;
    for request in &profile.modbus.requests {
        for field in &request.fields {
            outcome
                .fields
                .push(modbus_check(&mut context, &request.register, field, timeout).await);
        }
    }
}

/// Registers a data type spans.
fn register_count(field: &ModbusFieldProfile) -> u16 {
    match field.data_type.as_deref().unwrap_or("UINT16") {
        "INT32" | "UINT32" | "FLOAT32" => 2,
        "INT64" | "UINT64" | "FLOAT64" => 4,
        "STRING" => field.length.unwrap_or(1),
        _ => 1,
    }
}

async fn modbus_check(
    context: &mut Context,
    register: &str,
    field: &ModbusFieldProfile,
    timeout: Duration,
) -> FieldCheck {
    let source = format!("{register}:{}", field.address);
    let count = register_count(field);
    let expected = match register {
        "coil" | "discrete" => "1 bit".to_string(),
        _ => format!(
            "{} ({count} register(s))",
            field.data_type.as_deref().unwrap_or("UINT16")
        ),
    };
    let read = async {
        match register {
            "coil" => context
                .read_coils(field.address, 1)
                .await
                .map(|answer| answer.map(|bits| bits.len())),
            "discrete" => context
                .read_discrete_inputs(field.address, 1)
                .await
                .map(|answer| answer.map(|bits| bits.len())),
            "input" => context
                .read_input_registers(field.address, count)
                .await
                .map(|answer| answer.map(|words| words.len())),
            _ => context
                .read_holding_registers(field.address, count)
                .await
                .map(|answer| answer.map(|words| words.len())),
        }
    };
    let (observed, ok) = match tokio::time::timeout(timeout, read).await {
        Err(_elapsed) => ("error: no answer".to_string(), false),
        Ok(Err(error)) => (format!("error: {error}"), false),
        Ok(Ok(Err(exception))) => (format!("exception: {exception}"), false),
        Ok(Ok(Ok(length))) => {
            let wanted = if matches!(register, "coil" | "discrete") {
                1
            } else {
                usize::from(count)
            };
            (format!("{length} value(s)"), length >= wanted)
        }
    };
    FieldCheck {
        field: field.name.clone(),
        source,
        expected,
        observed,
        ok,
    }
}
