//! A real InfluxDB 1.x server for tests: Debian's `influxd` started with its own config in a
//! temporary directory on spare ports, killed on drop.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

const INFLUXD: &str = "/usr/bin/influxd";

pub struct InfluxdServer {
    child: Option<Child>,
    directory: PathBuf,
    pub http_port: u16,
    rpc_port: u16,
}

impl InfluxdServer {
    /// Starts a server with its data under `directory` (which outlives restarts).
    pub async fn start(directory: &Path) -> anyhow::Result<InfluxdServer> {
        let mut server = InfluxdServer {
            child: None,
            directory: directory.to_path_buf(),
            http_port: spare_port()?,
            rpc_port: spare_port()?,
        };
        server.launch().await?;
        Ok(server)
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.http_port)
    }

    /// Kills the process (data stays on disk).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the process again on the same ports and data.
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        self.stop();
        self.launch().await
    }

    async fn launch(&mut self) -> anyhow::Result<()> {
        if !Path::new(INFLUXD).exists() {
            bail!(
                "{INFLUXD} is not installed: run `apt-get install -y influxdb` \
                 (`make test` installs it through scripts/install-test-deps.sh)"
            );
        }
        let config_path = self.directory.join("influxdb.conf");
        std::fs::write(&config_path, self.config_text())?;
        let log = std::fs::File::create(self.directory.join("influxd.log"))?;
        let child = Command::new(INFLUXD)
            .arg("-config")
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("starting influxd")?;
        self.child = Some(child);
        self.wait_until_ready().await
    }

    fn config_text(&self) -> String {
        let directory = self.directory.display();
        format!(
            r#"reporting-disabled = true
bind-address = "127.0.0.1:{rpc_port}"
[meta]
  dir = "{directory}/meta"
[data]
  dir = "{directory}/data"
  wal-dir = "{directory}/wal"
  query-log-enabled = false
[http]
  bind-address = "127.0.0.1:{http_port}"
  log-enabled = false
[monitor]
  store-enabled = false
[continuous_queries]
  enabled = false
[subscriber]
  enabled = false
"#,
            rpc_port = self.rpc_port,
            http_port = self.http_port,
        )
    }

    async fn wait_until_ready(&mut self) -> anyhow::Result<()> {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Some(child) = self.child.as_mut()
                && let Some(status) = child.try_wait()?
            {
                let log = std::fs::read_to_string(self.directory.join("influxd.log"))?;
                bail!("influxd exited with {status}: {log}");
            }
            let ping = client.get(format!("{}/ping", self.url())).send().await;
            if ping.is_ok_and(|response| response.status().as_u16() == 204) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("influxd did not answer /ping within 30 s")
    }

    /// Runs an InfluxQL statement (POST /query) and returns the JSON answer.
    pub async fn query(
        &self,
        database: Option<&str>,
        statement: &str,
    ) -> anyhow::Result<serde_json::Value> {
        let mut url = reqwest::Url::parse(&format!("{}/query", self.url()))?;
        {
            let mut pairs = url.query_pairs_mut();
            pairs.append_pair("q", statement);
            pairs.append_pair("epoch", "ns");
            if let Some(database) = database {
                pairs.append_pair("db", database);
            }
        }
        let response = reqwest::Client::new().post(url).send().await?;
        let status = response.status();
        let body: serde_json::Value = response.json().await?;
        if !status.is_success() || body["results"][0].get("error").is_some() {
            bail!("query {statement:?} failed with {status}: {body}");
        }
        Ok(body)
    }
}

impl Drop for InfluxdServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A TCP port nothing listens on right now.
pub fn spare_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}
