//! Device scanning: CIDR ranges and host lists probed over SNMP (v1, v2c, v3 with credential
//! sets tried in order) and Modbus TCP (unit ids probed slowly, read functions only), the
//! results recorded in the store with new, changed and gone devices published on
//! `dv:deploy`, validation of a device against its profile, and the step from scanned
//! devices to [`crate::Device`]s the generator and deployer take.

pub mod job;
pub mod modbus_probe;
pub mod reconcile;
pub mod result;
pub mod runner;
pub mod settings;
pub mod snmp_client;
pub mod snmp_probe;
pub mod stored_devices;
pub mod targets;
pub mod to_device;
pub mod validate_device;

pub use job::{RecordedScan, run_recorded_scan};
pub use reconcile::{DEPLOY_STREAM, DeviceChange, ScanRecorder};
pub use result::{HostResult, Inventory, ProbeStatus, ScannedDevice};
pub use runner::{ScanProgress, ScanReport, run_scan};
pub use settings::{ModbusScanSettings, ScanSettings, SnmpCredential, SnmpScanSettings};
pub use stored_devices::{stored_devices, stored_scan};
pub use targets::expand_targets;
pub use to_device::device_from_scan;
pub use validate_device::{FieldCheck, ValidationOutcome, validate_device};
