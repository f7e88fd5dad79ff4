//! Shell action: runs one script from the configured scripts directory.
//!
//! The script is a path inside `scripts_dir`, checked after canonicalization before each run
//! (see [`script_path`](super::script_path)). Alert data reaches it three ways, none of them
//! a command string a shell would parse: the rendered `args` as argv items, `DV_ALERT_*` and
//! `DV_PARAM_*` environment variables, and the transition as JSON on stdin. The child gets a
//! cleared environment plus `PATH`, runs in its own process group, and when it exits or its
//! timeout passes the whole group is killed, so no background child outlives the run.
//! stdout and stderr are capped. With `run_as` (only when Detectviz runs as root) the script
//! runs as that uid and gid. See `shell.sample.toml`.

use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::Stdio;

use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;

use crate::action::output::{DEFAULT_OUTPUT_CAP_BYTES, read_capped};
use crate::action::script_path::{canonical_scripts_dir, resolve_script};
use crate::action::{Action, ActionOutput, ActionRequest, ExecuteFuture};
use crate::error::{ActionError, ConfigError};
use crate::template::{Escape, check_template, render};

/// The sample configuration, checked by the tests.
pub const SAMPLE_CONFIG: &str = include_str!("shell.sample.toml");

const DEFAULT_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShellConfig {
    pub name: String,
    /// The only directory scripts are taken from.
    pub scripts_dir: PathBuf,
    /// The script, relative to `scripts_dir`.
    pub script: String,
    /// Argument templates; each renders to exactly one argv item.
    #[serde(default)]
    pub args: Vec<String>,
    /// `PATH` of the child; nothing else of Detectviz's environment is passed on.
    #[serde(default = "default_path")]
    pub path: String,
    /// Run the script as this user and group; needs Detectviz to run as root.
    #[serde(default)]
    pub run_as: Option<RunAs>,
    /// Bytes of stdout and of stderr kept in the run record.
    #[serde(default = "default_max_output_bytes")]
    pub max_output_bytes: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunAs {
    pub uid: u32,
    pub gid: u32,
}

fn default_path() -> String {
    DEFAULT_PATH.to_string()
}

fn default_max_output_bytes() -> usize {
    DEFAULT_OUTPUT_CAP_BYTES
}

/// A configured script.
#[derive(Debug)]
pub struct Shell {
    name: String,
    scripts_dir: PathBuf,
    script: String,
    args: Vec<String>,
    path: String,
    run_as: Option<RunAs>,
    max_output_bytes: usize,
}

impl Shell {
    pub fn new(config: &ShellConfig) -> Result<Shell, ConfigError> {
        let name = config.name.as_str();
        let scripts_dir = canonical_scripts_dir(&config.scripts_dir)
            .map_err(|reason| ConfigError::invalid_action(name, reason))?;
        resolve_script(&scripts_dir, &config.script)
            .map_err(|reason| ConfigError::invalid_action(name, reason))?;
        for template in &config.args {
            check_template(template)
                .map_err(|reason| ConfigError::invalid_action(name, format!("args: {reason}")))?;
        }
        // SAFETY: geteuid has no preconditions and cannot fail.
        let running_as_root = unsafe { libc::geteuid() } == 0;
        if config.run_as.is_some() && !running_as_root {
            return Err(ConfigError::invalid_action(
                name,
                "`run_as` needs Detectviz to run as root",
            ));
        }
        Ok(Shell {
            name: name.to_string(),
            scripts_dir,
            script: config.script.clone(),
            args: config.args.clone(),
            path: config.path.clone(),
            run_as: config.run_as,
            max_output_bytes: config.max_output_bytes,
        })
    }

    async fn run_script(&self, request: &ActionRequest) -> Result<ActionOutput, ActionError> {
        let script_path = resolve_script(&self.scripts_dir, &self.script).map_err(|reason| {
            ActionError::ScriptRefused {
                action: self.name.clone(),
                reason,
            }
        })?;
        let arguments = self.render_arguments(request)?;
        let environment = alert_environment(request);
        let has_nul = arguments
            .iter()
            .chain(environment.iter().map(|(_, value)| value))
            .any(|text| text.contains('\0'));
        if has_nul {
            return Err(self.invalid_request("alert data contains a NUL character"));
        }
        let stdin_json = serde_json::to_vec(&request.transition).expect("a transition serialises");

        let mut command = tokio::process::Command::new(&script_path);
        command
            .args(&arguments)
            .env_clear()
            .env("PATH", &self.path)
            .envs(environment)
            .current_dir(&self.scripts_dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        if let Some(run_as) = self.run_as {
            command.uid(run_as.uid).gid(run_as.gid);
        }
        let mut child = command.spawn().map_err(|error| ActionError::SpawnFailed {
            action: self.name.clone(),
            reason: error.to_string(),
            retryable: error.raw_os_error() == Some(libc::ETXTBSY),
        })?;
        let mut process_group = ProcessGroup::new(child.id());
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("stdout is piped");
        let stderr = child.stderr.take().expect("stderr is piped");

        let write_stdin = async move {
            let Some(mut stdin) = stdin else { return };
            // A script that does not read stdin closes it early; that is not an error.
            let _ = stdin.write_all(&stdin_json).await;
        };
        let wait_then_kill_group = async {
            let outcome = tokio::time::timeout(request.timeout, child.wait()).await;
            process_group.kill();
            outcome
        };
        let ((), stdout, stderr, outcome) = tokio::join!(
            write_stdin,
            read_capped(stdout, self.max_output_bytes, request.live_output.as_ref()),
            read_capped(stderr, self.max_output_bytes, request.live_output.as_ref()),
            wait_then_kill_group,
        );
        let status = match outcome {
            Err(_elapsed) => {
                return Err(ActionError::TimedOut {
                    action: self.name.clone(),
                    timeout_ms: request.timeout.as_millis(),
                });
            }
            Ok(Err(error)) => {
                return Err(ActionError::SpawnFailed {
                    action: self.name.clone(),
                    reason: format!("waiting for the script failed: {error}"),
                    retryable: false,
                });
            }
            Ok(Ok(status)) => status,
        };
        let mut output = ActionOutput {
            exit_code: status.code(),
            stdout,
            stderr,
            provider_id: None,
            answer: None,
        };
        if let Some(signal) = status.signal() {
            output.exit_code = None;
            return Err(ActionError::ScriptKilled {
                action: self.name.clone(),
                signal,
                output: Box::new(output),
            });
        }
        match status.code() {
            Some(0) => Ok(output),
            Some(exit_code) => Err(ActionError::ScriptFailed {
                action: self.name.clone(),
                exit_code,
                output: Box::new(output),
            }),
            None => Err(self.invalid_request("the script ended without an exit code")),
        }
    }

    fn render_arguments(&self, request: &ActionRequest) -> Result<Vec<String>, ActionError> {
        let context = request.template_context();
        self.args
            .iter()
            .map(|template| render(template, &context, Escape::None))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|reason| self.invalid_request(reason))
    }

    fn invalid_request(&self, reason: impl Into<String>) -> ActionError {
        ActionError::InvalidRequest {
            action: self.name.clone(),
            reason: reason.into(),
        }
    }
}

impl Action for Shell {
    fn name(&self) -> &str {
        &self.name
    }

    fn execute<'a>(&'a self, request: &'a ActionRequest) -> ExecuteFuture<'a> {
        Box::pin(self.run_script(request))
    }
}

/// The `DV_*` variables a script sees: the alert, its labels and the rule's parameters.
pub fn alert_environment(request: &ActionRequest) -> Vec<(String, String)> {
    let transition = &request.transition;
    let mut environment = vec![
        ("DV_RUN_ID".to_string(), request.run_id.clone()),
        ("DV_ALERT_NAME".to_string(), transition.rule_name.clone()),
        ("DV_ALERT_RULE_ID".to_string(), transition.rule_id.clone()),
        (
            "DV_ALERT_SEVERITY".to_string(),
            transition.severity.as_str().to_string(),
        ),
        (
            "DV_ALERT_FINGERPRINT".to_string(),
            transition.fingerprint.clone(),
        ),
        (
            "DV_ALERT_VALUE".to_string(),
            transition
                .value
                .map(|value| value.to_string())
                .unwrap_or_default(),
        ),
        (
            "DV_ALERT_KIND".to_string(),
            transition.kind.as_str().to_string(),
        ),
        ("DV_ALERT_AT_MS".to_string(), transition.at_ms.to_string()),
    ];
    for (name, value) in transition.labels.iter() {
        environment.push((
            format!("DV_ALERT_LABEL_{}", environment_name(name)),
            value.to_string(),
        ));
    }
    for (name, value) in &request.parameters {
        environment.push((
            format!("DV_PARAM_{}", environment_name(name)),
            value.clone(),
        ));
    }
    environment
}

/// `line-3.temp` → `LINE_3_TEMP`: upper case, anything but letters and digits becomes `_`.
fn environment_name(name: &str) -> String {
    name.chars()
        .map(|character| {
            if character.is_ascii_alphanumeric() {
                character.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// The script's process group; killed once, when the script exits or times out, and on drop
/// so a cancelled run leaves nothing behind.
struct ProcessGroup {
    process_group_id: Option<libc::pid_t>,
}

impl ProcessGroup {
    fn new(child_id: Option<u32>) -> ProcessGroup {
        ProcessGroup {
            process_group_id: child_id.and_then(|id| libc::pid_t::try_from(id).ok()),
        }
    }

    fn kill(&mut self) {
        let Some(process_group_id) = self.process_group_id.take() else {
            return;
        };
        // SAFETY: kill has no memory preconditions; a negative pid names the process group
        // the child leads (spawned with process_group(0)). ESRCH (already gone) is fine.
        unsafe {
            libc::kill(-process_group_id, libc::SIGKILL);
        }
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        self.kill();
    }
}

#[cfg(test)]
#[path = "shell_tests.rs"]
mod tests;
