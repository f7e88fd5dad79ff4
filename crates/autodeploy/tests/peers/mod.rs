//! Real peers for the scan tests, started on spare ports and killed on drop: Debian's
//! `snmpd` (its own configuration: a v2c community and a v3 authPriv user, run in the
//! foreground) and a pymodbus Modbus TCP device from `.venv`.
#![allow(dead_code)]

use std::net::{TcpListener, TcpStream, UdpSocket};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const COMMUNITY: &str = "dv-scan-community";
pub const V3_USER: &str = "dvops";
pub const V3_AUTH_PASSWORD: &str = "dv-auth-secret-1";
pub const V3_PRIVACY_PASSWORD: &str = "dv-priv-secret-1";
pub const SYS_NAME: &str = "scan-test-agent";
pub const SYS_LOCATION: &str = "Line 3 cabinet";

/// Makes the peer die with the test process even when the test aborts (a panic runs `Drop`,
/// an abort does not).
fn die_with_parent(command: &mut Command) -> &mut Command {
    // SAFETY: prctl is async-signal-safe and touches only the child's own state.
    unsafe {
        command.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        })
    }
}

/// A spare UDP port on 127.0.0.1.
pub fn spare_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn spare_tcp_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running snmpd; killed when dropped.
pub struct SnmpAgent {
    pub port: u16,
    child: Child,
    _directory: tempfile::TempDir,
}

impl Drop for SnmpAgent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn snmpd_binary() -> PathBuf {
    for candidate in ["/usr/sbin/snmpd", "/usr/local/sbin/snmpd"] {
        if Path::new(candidate).exists() {
            return PathBuf::from(candidate);
        }
    }
    panic!(
        "snmpd is required for this test: run scripts/install-test-deps.sh (Debian package `snmpd`)"
    );
}

impl SnmpAgent {
    /// Starts snmpd on 127.0.0.1:`port` (a spare one when `None`) and waits until it answers.
    pub async fn start_on(address: &str) -> SnmpAgent {
        let port = spare_udp_port();
        let directory = tempfile::tempdir().unwrap();
        let configuration = directory.path().join("snmpd.conf");
        std::fs::write(
            &configuration,
            format!(
                "agentAddress udp:{address}:{port}\n\
                 rocommunity {COMMUNITY} 127.0.0.0/8\n\
                 createUser {V3_USER} SHA \"{V3_AUTH_PASSWORD}\" AES \"{V3_PRIVACY_PASSWORD}\"\n\
                 rouser {V3_USER} priv\n\
                 sysName {SYS_NAME}\n\
                 sysLocation {SYS_LOCATION}\n\
                 sysContact ops@example.invalid\n\
                 sysServices 72\n"
            ),
        )
        .unwrap();
        let child = die_with_parent(&mut Command::new(snmpd_binary()))
            .arg("-f")
            .arg("-C")
            .arg("-c")
            .arg(&configuration)
            .arg(format!("--persistentDir={}", directory.path().display()))
            .arg("-Lf")
            .arg(directory.path().join("snmpd.log"))
            .arg("-p")
            .arg(directory.path().join("snmpd.pid"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("snmpd starts");
        let agent = SnmpAgent {
            port,
            child,
            _directory: directory,
        };
        agent.wait_until_answering(address).await;
        agent
    }

    pub async fn start() -> SnmpAgent {
        SnmpAgent::start_on("127.0.0.1").await
    }

    async fn wait_until_answering(&self, address: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        let settings = autodeploy::scan::SnmpScanSettings {
            port: self.port,
            credentials: vec![community_credential()],
            timeout_ms: 200,
            retries: 0,
            ..Default::default()
        };
        while Instant::now() < deadline {
            let result =
                autodeploy::scan::snmp_probe::probe_snmp_host(address.parse().unwrap(), &settings)
                    .await;
            if result.status == autodeploy::scan::ProbeStatus::Found {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "snmpd on {address}:{} did not answer within 15 s",
            self.port
        );
    }
}

pub fn community_credential() -> autodeploy::scan::SnmpCredential {
    let mut credential =
        autodeploy::scan::SnmpCredential::community(autodeploy::SnmpVersion::V2c, COMMUNITY);
    credential.name = "site-v2c".to_string();
    credential
}

pub fn v3_credential() -> autodeploy::scan::SnmpCredential {
    autodeploy::scan::SnmpCredential::usm(
        V3_USER,
        ("SHA", V3_AUTH_PASSWORD),
        ("AES", V3_PRIVACY_PASSWORD),
    )
}

/// A running pymodbus device; killed when dropped.
pub struct ModbusDevice {
    pub port: u16,
    child: Child,
}

impl Drop for ModbusDevice {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ModbusDevice {
    pub fn start() -> ModbusDevice {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        let python = manifest.join("../../.venv/bin/python");
        assert!(
            python.exists(),
            "{} is required for this test: run scripts/install-test-deps.sh (installs pymodbus)",
            python.display()
        );
        let port = spare_tcp_port();
        let child = die_with_parent(&mut Command::new(python))
            .arg(manifest.join("tests/peers/modbus_device.py"))
            .arg(port.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the pymodbus device starts");
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "the pymodbus device did not listen on {port} within 20 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        ModbusDevice { port, child }
    }
}

/// A stand-in for Telegraf that records every SIGHUP it receives as a line in a file; it
/// writes its pid file only after installing the trap. Killed when dropped.
pub struct HupRecorder {
    pub pid_file: PathBuf,
    record_file: PathBuf,
    child: Child,
    _directory: tempfile::TempDir,
}

impl Drop for HupRecorder {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl HupRecorder {
    pub fn start() -> HupRecorder {
        let directory = tempfile::tempdir().unwrap();
        let pid_file = directory.path().join("telegraf.pid");
        let record_file = directory.path().join("hups");
        let script = r#"trap 'echo hup >> "$1"' HUP; echo $$ > "$2.partial"; mv "$2.partial" "$2"; while :; do sleep 0.05; done"#;
        let child = die_with_parent(&mut Command::new("sh"))
            .arg("-c")
            .arg(script)
            .arg("stand-in")
            .arg(&record_file)
            .arg(&pid_file)
            .stdin(Stdio::null())
            .spawn()
            .expect("the SIGHUP stand-in starts");
        let deadline = Instant::now() + Duration::from_secs(20);
        while !pid_file.exists() {
            assert!(Instant::now() < deadline, "the stand-in wrote no pid file");
            std::thread::sleep(Duration::from_millis(20));
        }
        HupRecorder {
            pid_file,
            record_file,
            child,
            _directory: directory,
        }
    }

    /// SIGHUPs received so far.
    pub fn hups(&self) -> usize {
        std::fs::read_to_string(&self.record_file)
            .map(|text| text.lines().count())
            .unwrap_or(0)
    }

    /// Waits (with a hang guard) until `count` SIGHUPs were recorded.
    pub fn wait_for_hups(&self, count: usize) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.hups() < count {
            assert!(
                Instant::now() < deadline,
                "the stand-in recorded {} SIGHUP(s), expected {count}",
                self.hups()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
