//! Modbus TCP scanning against a real pymodbus device started by the test: unit 1 identifies
//! itself with Read Device Identification, the other unit ids of the range stay silent, and
//! a closed port is refused.

mod peers;

use std::net::IpAddr;

use autodeploy::scan::modbus_probe::probe_modbus_host;
use autodeploy::scan::{Inventory, ModbusScanSettings, ProbeStatus};
use peers::{ModbusDevice, spare_tcp_port};

fn settings(port: u16) -> ModbusScanSettings {
    ModbusScanSettings {
        enabled: true,
        port,
        first_unit_id: 1,
        last_unit_id: 3,
        unit_delay_ms: 50,
        timeout_ms: 400,
    }
}

fn localhost() -> IpAddr {
    "127.0.0.1".parse().unwrap()
}

#[tokio::test]
async fn the_unit_range_is_probed_and_unit_1_identifies_itself() {
    let device = ModbusDevice::start();
    let result = probe_modbus_host(localhost(), &settings(device.port)).await;
    assert_eq!(result.status, ProbeStatus::Found, "{}", result.detail);
    assert_eq!(result.devices.len(), 1, "{:?}", result.devices);
    let found = &result.devices[0];
    assert_eq!(found.id, format!("modbus-127.0.0.1-{}-u1", device.port));
    let Inventory::Modbus(inventory) = &found.inventory else {
        panic!("expected a Modbus inventory");
    };
    assert_eq!(inventory.unit_id, 1);
    assert_eq!(inventory.identified_by, "read_device_identification");
    assert_eq!(inventory.vendor_name, "detectviz-test-meter");
    assert_eq!(inventory.product_code, "PM-3");
    assert_eq!(inventory.revision, "1.4.2");
    assert_eq!(inventory.product_name, "Test Power Meter");
    assert_eq!(inventory.model_name, "PM-3 Lab");
    assert_eq!(found.display_name(), "Test Power Meter");
}

#[tokio::test]
async fn a_closed_port_is_refused() {
    let port = spare_tcp_port();
    let result = probe_modbus_host(localhost(), &settings(port)).await;
    assert_eq!(result.status, ProbeStatus::Refused, "{}", result.detail);
    assert!(result.detail.contains("refused"), "{}", result.detail);
}
