//! A real SMTP server (aiosmtpd from PyPI, run by `tests/peers/smtp_sink.py`) that writes every
//! accepted message to a directory and refuses messages when the test tells it to.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use crate::conformance::{ConformancePeer, PeerAnswer, Received};

pub struct SmtpPeer {
    pub port: u16,
    directory: tempfile::TempDir,
    process: Child,
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

impl SmtpPeer {
    /// Starts the sink; with `credentials`, the server requires AUTH with them.
    pub fn start(credentials: Option<(&str, &str)>) -> SmtpPeer {
        SmtpPeer::start_with_arguments(credentials, &[])
    }

    /// Starts the sink speaking TLS (`mode` is `starttls` or `tls`) with a certificate for
    /// 127.0.0.1 issued by the CA in `certificates`.
    pub fn start_with_tls(mode: &str, certificates: &TestCertificates) -> SmtpPeer {
        let arguments = [
            "--tls-mode".to_string(),
            mode.to_string(),
            "--cert".to_string(),
            certificates.server_certificate().display().to_string(),
            "--key".to_string(),
            certificates.server_key().display().to_string(),
        ];
        SmtpPeer::start_with_arguments(None, &arguments)
    }

    fn start_with_arguments(
        credentials: Option<(&str, &str)>,
        extra_arguments: &[String],
    ) -> SmtpPeer {
        let python = workspace_root().join(".venv/bin/python");
        let has_aiosmtpd = python.exists()
            && Command::new(&python)
                .args(["-c", "import aiosmtpd"])
                .status()
                .is_ok_and(|status| status.success());
        assert!(
            has_aiosmtpd,
            "the email tests need aiosmtpd in {}: `make test` installs it (or run: python3 -m venv \
             .venv && .venv/bin/pip install -r crates/notifier/tests/peers/requirements.txt)",
            python.display()
        );
        let directory = tempfile::tempdir().unwrap();
        let port = free_port();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/smtp_sink.py");
        let mut command = Command::new(&python);
        command
            .args(["-W", "ignore"])
            .arg(script)
            .args(["--port", &port.to_string()])
            .arg("--dir")
            .arg(directory.path());
        if let Some((username, password)) = credentials {
            command.args(["--username", username, "--password", password]);
        }
        command.args(extra_arguments);
        let process = command.spawn().unwrap();
        let peer = SmtpPeer {
            port,
            directory,
            process,
        };
        peer.wait_until_ready();
        peer
    }

    fn wait_until_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.directory.path().join("ready").exists() {
            assert!(
                Instant::now() < deadline,
                "the smtp sink did not start within 20 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The decoded records of the accepted messages, oldest first.
    pub fn messages(&self) -> Vec<serde_json::Value> {
        self.message_files("json")
            .iter()
            .map(|path| serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap())
            .collect()
    }

    fn message_files(&self, extension: &str) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.directory.path())
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|found| found == extension))
            .collect();
        files.sort();
        files
    }
}

impl ConformancePeer for SmtpPeer {
    fn answer_with(&self, answer: PeerAnswer) {
        let reply = match answer {
            PeerAnswer::Accept => "250",
            PeerAnswer::RateLimited { .. } => "452 4.3.1 Too many messages, slow down",
            PeerAnswer::ServerError => "451 4.3.0 Local error in processing",
            PeerAnswer::BadRequest => "550 5.1.1 Mailbox unavailable",
            PeerAnswer::Status(_) => unimplemented!("smtp answers have no http status"),
        };
        std::fs::write(self.directory.path().join("answer"), reply).unwrap();
    }

    fn accepted(&self) -> Vec<Received> {
        self.messages()
            .into_iter()
            .map(|record| Received {
                readable: format!(
                    "{}\n{}",
                    record["subject"],
                    record["text"].as_str().unwrap_or("")
                ),
            })
            .collect()
    }

    fn sends_retry_after(&self) -> bool {
        false
    }
}

impl Drop for SmtpPeer {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// A throwaway CA and a server certificate for 127.0.0.1 it issued, made with `openssl`.
pub struct TestCertificates {
    directory: tempfile::TempDir,
}

impl TestCertificates {
    pub fn create() -> TestCertificates {
        let directory = tempfile::tempdir().unwrap();
        let path = |name: &str| directory.path().join(name).display().to_string();
        std::fs::write(
            path("server.ext"),
            "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        let ec_key = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ];
        run_openssl(&[
            &["req", "-x509"],
            &ec_key[..],
            &[
                "-keyout",
                &path("ca.key"),
                "-out",
                &path("ca.pem"),
                "-days",
                "1",
                "-subj",
                "/CN=Detectviz Test CA",
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
            ],
        ]);
        run_openssl(&[
            &["req"],
            &ec_key[..],
            &[
                "-keyout",
                &path("server.key"),
                "-out",
                &path("server.csr"),
                "-subj",
                "/CN=127.0.0.1",
            ],
        ]);
        run_openssl(&[&[
            "x509",
            "-req",
            "-in",
            &path("server.csr"),
            "-CA",
            &path("ca.pem"),
            "-CAkey",
            &path("ca.key"),
            "-CAcreateserial",
            "-out",
            &path("server.pem"),
            "-days",
            "1",
            "-extfile",
            &path("server.ext"),
        ]]);
        TestCertificates { directory }
    }

    pub fn ca_certificate(&self) -> PathBuf {
        self.directory.path().join("ca.pem")
    }

    fn server_certificate(&self) -> PathBuf {
        self.directory.path().join("server.pem")
    }

    fn server_key(&self) -> PathBuf {
        self.directory.path().join("server.key")
    }
}

fn run_openssl(argument_groups: &[&[&str]]) {
    let arguments: Vec<&str> = argument_groups.concat();
    let output = Command::new("openssl").args(&arguments).output().unwrap();
    assert!(
        output.status.success(),
        "openssl {arguments:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}
