//! Test support (feature `testing`): [`AnomalyService`] runs the real services/anomaly under
//! uvicorn from the worktree's `.venv` (made by `scripts/install-test-deps.sh`) on a spare
//! port, with its models in a temporary directory, and kills it on drop. It can be stopped
//! and started again on the same port, to test what the core does while it is away.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long the service may take to import numpy, scikit-learn and statsmodels and listen.
const START_DEADLINE: Duration = Duration::from_secs(120);

pub struct AnomalyService {
    port: u16,
    models_dir: tempfile_dir::TempDir,
    child: Option<Child>,
}

/// A temporary directory removed on drop (kept tiny to avoid a dependency for one type).
mod tempfile_dir {
    use std::path::{Path, PathBuf};

    pub struct TempDir(PathBuf);

    impl TempDir {
        pub fn new(prefix: &str) -> TempDir {
            let unique = format!(
                "{prefix}-{}-{}",
                std::process::id(),
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|elapsed| elapsed.as_nanos())
                    .unwrap_or_default()
            );
            let path = std::env::temp_dir().join(unique);
            std::fs::create_dir_all(&path).expect("create the models directory");
            TempDir(path)
        }

        pub fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// The repository root (two levels above this crate).
pub fn repository_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

impl AnomalyService {
    /// Starts the service on a spare port and waits until `GET /healthz` answers.
    pub fn start() -> AnomalyService {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a spare port")
            .port();
        let mut service = AnomalyService {
            port,
            models_dir: tempfile_dir::TempDir::new("detectviz-anomaly-models"),
            child: None,
        };
        service.start_again();
        service
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Kills the service and waits for it to exit; the port then refuses connections.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the service again on the same port with the same models directory.
    pub fn start_again(&mut self) {
        assert!(
            self.child.is_none(),
            "the anomaly service is already running"
        );
        let root = repository_root();
        let python = root.join(".venv/bin/python");
        assert!(
            python.exists(),
            "{} is missing: run scripts/install-test-deps.sh to create the virtualenv with \
             services/anomaly",
            python.display()
        );
        let child = Command::new(&python)
            .args(["-m", "uvicorn", "detectviz_anomaly.app:app", "--host"])
            .arg("127.0.0.1")
            .arg("--port")
            .arg(self.port.to_string())
            .arg("--log-level")
            .arg("warning")
            .current_dir(root.join("services/anomaly"))
            .env("DETECTVIZ_ANOMALY_MODELS_DIR", self.models_dir.path())
            .stdin(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {}: {error}", python.display()));
        self.child = Some(child);
        self.wait_until_healthy();
    }

    fn wait_until_healthy(&mut self) {
        let deadline = Instant::now() + START_DEADLINE;
        while Instant::now() < deadline {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|child| child.try_wait().ok().flatten())
            {
                panic!("the anomaly service exited while starting: {status}");
            }
            if healthz_answers(self.port) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "the anomaly service did not answer /healthz on port {} within {:?}",
            self.port, START_DEADLINE
        );
    }
}

/// A blocking `GET /healthz` that returns whether the answer was 200.
fn healthz_answers(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.starts_with("HTTP/1.1 200")
}

impl Drop for AnomalyService {
    fn drop(&mut self) {
        self.stop();
    }
}
