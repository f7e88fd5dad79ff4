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

/// The community the simulated subnet answers to (the name of its data file).
pub const SIMULATED_COMMUNITY: &str = "dv-sim";

/// The recording every simulated agent serves: a Net-SNMP host (sysObjectID under
/// .1.3.6.1.4.1.8072) with two interfaces and the UCD load and memory objects the
/// `net-snmp` profile reads, in OID order.
const SIMULATED_RECORDING: &str = "\
1.3.6.1.2.1.1.1.0|4|Linux sim 6.1.0 x86_64 (snmpsim)
1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.8072.3.2.10
1.3.6.1.2.1.1.3.0|67|4242424
1.3.6.1.2.1.1.4.0|4|ops@example.invalid
1.3.6.1.2.1.1.5.0|4|sim-host
1.3.6.1.2.1.1.6.0|4|simulated rack
1.3.6.1.2.1.2.1.0|2|2
1.3.6.1.2.1.2.2.1.1.1|2|1
1.3.6.1.2.1.2.2.1.1.2|2|2
1.3.6.1.2.1.2.2.1.2.1|4|lo
1.3.6.1.2.1.2.2.1.2.2|4|eth0
1.3.6.1.2.1.2.2.1.3.1|2|24
1.3.6.1.2.1.2.2.1.3.2|2|6
1.3.6.1.2.1.2.2.1.8.1|2|1
1.3.6.1.2.1.2.2.1.8.2|2|1
1.3.6.1.2.1.31.1.1.1.6.1|70|1000
1.3.6.1.2.1.31.1.1.1.6.2|70|987654321
1.3.6.1.2.1.31.1.1.1.10.1|70|1000
1.3.6.1.2.1.31.1.1.1.10.2|70|123456789
1.3.6.1.4.1.2021.4.5.0|2|8000000
1.3.6.1.4.1.2021.4.6.0|2|4000000
1.3.6.1.4.1.2021.10.1.5.1|2|12
1.3.6.1.4.1.2021.10.1.5.2|2|9
";

/// PyPI `snmpsim` (tests/peers/requirements.txt) serving one SNMP agent per address, all on
/// one spare UDP port, from one process: a simulated subnet. Killed when dropped.
pub struct SimulatedSubnet {
    pub port: u16,
    pub addresses: Vec<std::net::Ipv4Addr>,
    child: Child,
    directory: tempfile::TempDir,
}

impl Drop for SimulatedSubnet {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl SimulatedSubnet {
    /// Starts agents on `addresses` and waits until every one answers.
    pub async fn start(addresses: Vec<std::net::Ipv4Addr>) -> SimulatedSubnet {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        let responder = manifest.join("../../.venv/bin/snmpsim-command-responder");
        assert!(
            responder.exists(),
            "{} is required: pip install -r crates/autodeploy/tests/peers/requirements.txt",
            responder.display()
        );
        let port = spare_udp_port();
        let directory = tempfile::tempdir().unwrap();
        let data = directory.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        std::fs::write(
            data.join(format!("{SIMULATED_COMMUNITY}.snmprec")),
            SIMULATED_RECORDING,
        )
        .unwrap();
        let log = std::fs::File::create(directory.path().join("snmpsim.log")).unwrap();
        let mut command = Command::new(responder);
        command
            .arg(format!("--data-dir={}", data.display()))
            .arg(format!(
                "--cache-dir={}",
                directory.path().join("cache").display()
            ))
            .args(
                addresses
                    .iter()
                    .map(|address| format!("--agent-udpv4-endpoint={address}:{port}")),
            );
        // As root snmpsim insists on dropping privileges; stay root so it can read the venv.
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } == 0 {
            command.args(["--process-user=root", "--process-group=root"]);
        }
        let child = die_with_parent(&mut command)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("snmpsim starts");
        let subnet = SimulatedSubnet {
            port,
            addresses,
            child,
            directory,
        };
        subnet.wait_until_answering().await;
        subnet
    }

    /// The credential set the agents answer to.
    pub fn credential() -> autodeploy::scan::SnmpCredential {
        let mut credential = autodeploy::scan::SnmpCredential::community(
            autodeploy::SnmpVersion::V2c,
            SIMULATED_COMMUNITY,
        );
        credential.name = "sim-v2c".to_string();
        credential
    }

    async fn wait_until_answering(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let settings = autodeploy::scan::SnmpScanSettings {
            port: self.port,
            credentials: vec![SimulatedSubnet::credential()],
            timeout_ms: 300,
            retries: 0,
            ..Default::default()
        };
        for address in &self.addresses {
            loop {
                let result = autodeploy::scan::snmp_probe::probe_snmp_host(
                    std::net::IpAddr::V4(*address),
                    &settings,
                )
                .await;
                if result.status == autodeploy::scan::ProbeStatus::Found {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "snmpsim agent {address}:{} did not answer within 60 s: {}\n{}",
                    self.port,
                    result.detail,
                    std::fs::read_to_string(self.directory.path().join("snmpsim.log"))
                        .unwrap_or_default()
                );
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}
