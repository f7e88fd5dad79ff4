//! A `detectviz serve` child process with its logs captured to files, for tests that look
//! at the binary from outside (log leaks, API fuzzing). Killed when dropped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

pub const BINARY: &str = env!("CARGO_BIN_EXE_detectviz");

/// Writes a config for a server on `port` with its data under `directory`.
pub fn write_config(directory: &Path, port: u16, log_level: &str) -> PathBuf {
    let path = directory.join("detectviz.conf");
    let text = format!(
        "[server]\nlisten = \"127.0.0.1:{port}\"\nshutdown_grace_s = 2\n\n[log]\nlevel = \"{log_level}\"\nformat = \"json\"\n\n[store]\nurl = \"sqlite://{}\"\n\n[bus]\nembedded_path = \"{}\"\n",
        directory.join("detectviz.db").display(),
        directory.join("bus.db").display()
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// Creates an admin in the database of `directory` before `serve` starts, so the first-start
/// bootstrap (which prints a password once) does not run.
pub async fn add_admin(directory: &Path, username: &str, password: &str) {
    let url = format!("sqlite://{}", directory.join("detectviz.db").display());
    let store = store::Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let request = viot_web::routes::users::CreateUserRequest {
        username: username.into(),
        display_name: None,
        password: password.into(),
        role: viot_web::auth::UserRole::Admin,
    };
    viot_web::routes::users::create_local_user(&store, &request)
        .await
        .unwrap();
    store.close().await;
}

/// Creates an API token with `scopes` in the database of `directory`; returns its secret.
pub async fn add_token(directory: &Path, name: &str, scopes: &[&str]) -> String {
    let url = format!("sqlite://{}", directory.join("detectviz.db").display());
    let store = store::Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let token = super::token_for(&store, name, scopes).await;
    store.close().await;
    token
}

pub struct ServedBinary {
    child: Child,
    pub base_url: String,
    log_path: PathBuf,
}

impl ServedBinary {
    /// Starts `serve` with `environment` and waits until it answers `/api/health`.
    pub async fn start(config: &Path, port: u16, environment: &[(&str, &str)]) -> ServedBinary {
        let log_path = config.with_extension(format!("{port}.log"));
        let log_file = std::fs::File::create(&log_path).unwrap();
        let child = Command::new(BINARY)
            .args(["--config", config.to_str().unwrap(), "serve"])
            // Relative paths (report exports, models) land in the test's directory, not the repo.
            .current_dir(config.parent().unwrap())
            .envs(environment.iter().copied())
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file)
            .spawn()
            .expect("serve starts");
        let served = ServedBinary {
            child,
            base_url: format!("http://127.0.0.1:{port}"),
            log_path,
        };
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let answer = client
                .get(format!("{}/api/health", served.base_url))
                .send()
                .await;
            if answer.is_ok() {
                return served;
            }
            assert!(
                Instant::now() < deadline,
                "serve did not answer; its log:\n{}",
                served.logs()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Everything the process wrote to stdout and stderr so far.
    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// Stops the process with SIGTERM and waits for it; returns its logs.
    pub fn stop(mut self) -> String {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(15);
        while self.child.try_wait().unwrap().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        self.logs()
    }
}

impl Drop for ServedBinary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
