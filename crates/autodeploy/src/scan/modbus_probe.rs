//! Probing one host over Modbus TCP: connect to the port, then each unit id of the range in
//! turn, slowly (a pause between units): a one-register read of holding register 0 says
//! whether the unit exists (an answer or a non-gateway exception), then Read Device
//! Identification (0x2B/0x0E), else Report Server ID (0x11), names it. Only read functions are ever sent; the `Writer` trait is not imported.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tokio_modbus::client::{Client, Context, Reader};
use tokio_modbus::prelude::{ExceptionCode, ReadCode, Request, Response, Slave, SlaveContext};

use crate::scan::result::{HostResult, Inventory, ModbusInventory, ProbeStatus, ScannedDevice};
use crate::scan::settings::ModbusScanSettings;

/// The stable id of a Modbus unit.
pub fn modbus_device_id(address: IpAddr, port: u16, unit_id: u8) -> String {
    format!("modbus-{address}-{port}-u{unit_id}")
}

/// Probes the unit ids of `settings` on `address`.
pub async fn probe_modbus_host(address: IpAddr, settings: &ModbusScanSettings) -> HostResult {
    let endpoint = SocketAddr::new(address, settings.port);
    let timeout = Duration::from_millis(settings.timeout_ms);
    let mut result = HostResult {
        address: address.to_string(),
        protocol: "modbus".to_string(),
        status: ProbeStatus::NoResponse,
        detail: String::new(),
        devices: Vec::new(),
    };
    let mut context = match connect(endpoint, timeout).await {
        Ok(context) => context,
        Err(failure) => {
            result.status = failure.0;
            result.detail = failure.1;
            return result;
        }
    };
    let mut silent_units = Vec::new();
    for unit_id in settings.first_unit_id..=settings.last_unit_id {
        if unit_id != settings.first_unit_id {
            tokio::time::sleep(Duration::from_millis(settings.unit_delay_ms)).await;
        }
        context.set_slave(Slave(unit_id));
        match identify_unit(&mut context, unit_id, timeout).await {
            UnitAnswer::Identified(inventory) => result.devices.push(ScannedDevice {
                id: modbus_device_id(address, settings.port, unit_id),
                address: address.to_string(),
                port: settings.port,
                inventory: Inventory::Modbus(inventory),
            }),
            UnitAnswer::Absent => silent_units.push(unit_id),
            UnitAnswer::ConnectionLost => {
                silent_units.push(unit_id);
                // A timed-out request may still be answered later on this connection; start
                // the next unit on a fresh one so answers cannot be mixed up.
                match connect(endpoint, timeout).await {
                    Ok(fresh) => context = fresh,
                    Err(failure) => {
                        result.detail = format!("reconnecting after unit {unit_id}: {}", failure.1);
                        break;
                    }
                }
            }
        }
    }
    if result.devices.is_empty() {
        result.status = ProbeStatus::NoResponse;
        if result.detail.is_empty() {
            result.detail = format!(
                "port {} open but no unit answered ({} probed)",
                settings.port,
                silent_units.len()
            );
        }
    } else {
        result.status = ProbeStatus::Found;
        result.detail = format!("{} unit(s) answered", result.devices.len());
    }
    result
}

async fn connect(
    endpoint: SocketAddr,
    timeout: Duration,
) -> Result<Context, (ProbeStatus, String)> {
    match tokio::time::timeout(timeout, tokio_modbus::client::tcp::connect(endpoint)).await {
        Err(_elapsed) => Err((
            ProbeStatus::NoResponse,
            format!(
                "connect to {endpoint}: no answer within {} ms",
                timeout.as_millis()
            ),
        )),
        Ok(Err(error)) if error.kind() == std::io::ErrorKind::ConnectionRefused => Err((
            ProbeStatus::Refused,
            format!("connect to {endpoint}: refused"),
        )),
        Ok(Err(error)) => Err((
            ProbeStatus::Refused,
            format!("connect to {endpoint}: {error}"),
        )),
        Ok(Ok(context)) => Ok(context),
    }
}

enum UnitAnswer {
    Identified(ModbusInventory),
    Absent,
    ConnectionLost,
}

/// The outcome of one request: an answer, a Modbus exception, or nothing usable.
enum Reply<T> {
    Answer(T),
    Exception(ExceptionCode),
    Lost,
}

async fn bounded<T, F>(timeout: Duration, request: F) -> Reply<T>
where
    F: std::future::Future<Output = tokio_modbus::Result<T>>,
{
    match tokio::time::timeout(timeout, request).await {
        Ok(Ok(Ok(answer))) => Reply::Answer(answer),
        Ok(Ok(Err(exception))) => Reply::Exception(exception),
        Ok(Err(_)) | Err(_) => Reply::Lost,
    }
}

async fn identify_unit(context: &mut Context, unit_id: u8, timeout: Duration) -> UnitAnswer {
    let mut inventory = ModbusInventory {
        unit_id,
        identified_by: "read_holding_registers".to_string(),
        vendor_name: String::new(),
        product_code: String::new(),
        revision: String::new(),
        product_name: String::new(),
        model_name: String::new(),
        server_id_hex: String::new(),
    };
    // Presence first: many servers answer identification for any unit id, but a read for a
    // unit that is not there gets a gateway or device-failure exception, or no answer.
    match bounded(timeout, context.read_holding_registers(0, 1)).await {
        Reply::Exception(exception) if !proves_presence(exception) => return UnitAnswer::Absent,
        Reply::Lost => return UnitAnswer::ConnectionLost,
        Reply::Answer(_) | Reply::Exception(_) => {}
    }
    match bounded(
        timeout,
        context.read_device_identification(ReadCode::Regular, 0),
    )
    .await
    {
        Reply::Answer(response) => {
            for object in &response.device_id_objects {
                let text = object.value_as_str().unwrap_or_default().to_string();
                match object.id {
                    0 => inventory.vendor_name = text,
                    1 => inventory.product_code = text,
                    2 => inventory.revision = text,
                    4 => inventory.product_name = text,
                    5 => inventory.model_name = text,
                    _ => {}
                }
            }
            inventory.identified_by = "read_device_identification".to_string();
            return UnitAnswer::Identified(inventory);
        }
        Reply::Lost => return UnitAnswer::Identified(inventory),
        Reply::Exception(_) => {}
    }
    if let Reply::Answer(Response::ReportServerId(server_id, _running, additional)) =
        bounded(timeout, context.call(Request::ReportServerId)).await
    {
        let mut bytes = vec![server_id];
        bytes.extend_from_slice(&additional);
        inventory.server_id_hex = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
        inventory.identified_by = "report_server_id".to_string();
    }
    UnitAnswer::Identified(inventory)
}

/// A unit that parsed the request and found the register or function wrong exists; gateway
/// exceptions (0x0A, 0x0B) mean nothing is behind that unit id, and a device failure (0x04)
/// or busy answer for a plain one-register read leaves nothing to monitor.
fn proves_presence(exception: ExceptionCode) -> bool {
    matches!(
        exception,
        ExceptionCode::IllegalFunction
            | ExceptionCode::IllegalDataAddress
            | ExceptionCode::IllegalDataValue
    )
}
