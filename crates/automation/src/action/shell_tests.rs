//! Shell action tests: argv, environment and stdin JSON; hostile alert data stays data;
//! timeouts and finished scripts leave no process behind; output caps; refused paths; run_as.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::*;
use crate::action::ActionConfig;
use crate::action::conformance::{assert_action_conforms, sample_request};
use crate::action::output::TRUNCATED_MARKER;

fn write_script(directory: &Path, name: &str, body: &str) {
    let path = directory.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn config(directory: &Path, script: &str, args: &[&str]) -> ShellConfig {
    ShellConfig {
        name: "restart-pump".to_string(),
        scripts_dir: directory.to_path_buf(),
        script: script.to_string(),
        args: args.iter().map(|arg| arg.to_string()).collect(),
        path: default_path(),
        run_as: None,
        max_output_bytes: DEFAULT_OUTPUT_CAP_BYTES,
    }
}

/// Whether the process is gone (or a zombie waiting to be reaped by init).
fn process_is_gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}

fn wait_until_gone(pid: u32) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if process_is_gone(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

fn read_pid(path: &PathBuf) -> u32 {
    std::fs::read_to_string(path)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn the_script_gets_argv_environment_and_stdin_json() {
    let directory = tempfile::tempdir().unwrap();
    write_script(
        directory.path(),
        "show.sh",
        "for arg in \"$@\"; do echo \"arg=$arg\"; done\nenv | sort\necho stdin=$(cat)",
    );
    let shell = Shell::new(&config(
        directory.path(),
        "show.sh",
        &["--line", "{{labels.line}}", "{{value}}{{parameters.unit}}"],
    ))
    .unwrap();
    let output = shell
        .execute(&sample_request(&[("unit", "C")]))
        .await
        .unwrap();
    assert_eq!(output.exit_code, Some(0));
    let stdout = &output.stdout;
    for expected in [
        "arg=--line\narg=line-3\narg=92.5C\n",
        "DV_ALERT_NAME=SpindleTemperatureHigh\n",
        "DV_ALERT_SEVERITY=critical\n",
        "DV_ALERT_FINGERPRINT=a1c3e5f7a9b1c3e5\n",
        "DV_ALERT_VALUE=92.5\n",
        "DV_ALERT_LABEL_LINE=line-3\n",
        "DV_ALERT_LABEL_SITE=plant-a\n",
        "DV_PARAM_UNIT=C\n",
        "PATH=/usr/local/bin:/usr/bin:/bin\n",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in {stdout}"
        );
    }
    assert!(!stdout.contains("HOME="), "{stdout}");
    assert!(!stdout.contains("CARGO"), "{stdout}");
    let stdin_json = stdout.split("stdin=").nth(1).unwrap().trim();
    let transition: detectviz::AlertTransition = serde_json::from_str(stdin_json).unwrap();
    assert_eq!(transition, crate::sample::sample_transition());
}

#[tokio::test]
async fn hostile_label_values_stay_plain_argv_items() {
    let directory = tempfile::tempdir().unwrap();
    let marker = directory.path().join("pwned");
    write_script(directory.path(), "echo.sh", "printf '%s\\n' \"$@\"");
    let shell = Shell::new(&config(directory.path(), "echo.sh", &["{{labels.line}}"])).unwrap();
    let hostile = format!(
        "$(touch {0}) `touch {0}`; touch {0} | touch {0}\ntouch {0} ../../etc/passwd",
        marker.display()
    );
    let mut request = sample_request(&[]);
    request.transition.labels.insert("line", hostile.clone());
    let output = shell.execute(&request).await.unwrap();
    assert_eq!(output.stdout, format!("{hostile}\n"));
    assert!(!marker.exists(), "alert data was executed");
}

#[tokio::test]
async fn hostile_annotations_environment_and_stdin_stay_data() {
    let directory = tempfile::tempdir().unwrap();
    let marker = directory.path().join("pwned");
    write_script(
        directory.path(),
        "echo.sh",
        "printf '%s\\n' \"$@\"\nprintf 'env=%s\\n' \"$DV_ALERT_LABEL_LINE\"\ncat",
    );
    let shell = Shell::new(&config(
        directory.path(),
        "echo.sh",
        &["{{annotations.summary}}", "--", "{{parameters.note}}"],
    ))
    .unwrap();
    let hostile = format!(
        "a\"; touch {0}; `touch {0}` $(touch {0}) | touch {0} > {0}\n../../../bin/sh -c 'touch {0}'",
        marker.display()
    );
    let mut request = sample_request(&[("note", hostile.as_str())]);
    request
        .transition
        .annotations
        .insert("summary".to_string(), hostile.clone());
    request.transition.labels.insert("line", hostile.clone());
    request.transition.labels.insert("x;touch", hostile.clone());
    let output = shell.execute(&request).await.unwrap();
    let expected_start = format!("{hostile}\n--\n{hostile}\nenv={hostile}\n");
    assert!(
        output.stdout.starts_with(&expected_start),
        "{}",
        output.stdout
    );
    let stdin_json = &output.stdout[expected_start.len()..];
    let transition: serde_json::Value = serde_json::from_str(stdin_json).unwrap();
    assert_eq!(transition["annotations"]["summary"], hostile.as_str());
    assert!(!marker.exists(), "alert data was executed");
}

#[tokio::test]
async fn a_timeout_kills_the_script_and_its_children() {
    let directory = tempfile::tempdir().unwrap();
    let pid_file = directory.path().join("sleep.pid");
    write_script(
        directory.path(),
        "hang.sh",
        "sleep 100 &\necho $! > \"$DV_PARAM_PID_FILE\"\nwait",
    );
    let shell = Shell::new(&config(directory.path(), "hang.sh", &[])).unwrap();
    let mut request = sample_request(&[("pid_file", pid_file.to_str().unwrap())]);
    request.timeout = Duration::from_millis(1_500);
    let started = Instant::now();
    let error = shell.execute(&request).await.unwrap_err();
    assert!(matches!(error, ActionError::TimedOut { .. }), "{error}");
    assert!(error.is_retryable());
    assert!(started.elapsed() < Duration::from_secs(10));
    let grandchild = read_pid(&pid_file);
    assert!(wait_until_gone(grandchild), "sleep {grandchild} survived");
}

#[tokio::test]
async fn background_children_do_not_outlive_a_finished_script() {
    let directory = tempfile::tempdir().unwrap();
    let pid_file = directory.path().join("sleep.pid");
    write_script(
        directory.path(),
        "fork.sh",
        "sleep 100 &\necho $! > \"$DV_PARAM_PID_FILE\"\necho done",
    );
    let shell = Shell::new(&config(directory.path(), "fork.sh", &[])).unwrap();
    let request = sample_request(&[("pid_file", pid_file.to_str().unwrap())]);
    let started = Instant::now();
    let output = shell.execute(&request).await.unwrap();
    assert_eq!(output.stdout, "done\n");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(wait_until_gone(read_pid(&pid_file)));
}

#[tokio::test]
async fn an_output_flood_is_capped_with_a_marker() {
    let directory = tempfile::tempdir().unwrap();
    write_script(
        directory.path(),
        "flood.sh",
        "head -c 2000000 /dev/zero | tr '\\0' x\nhead -c 5000 /dev/zero | tr '\\0' y >&2",
    );
    let mut flood_config = config(directory.path(), "flood.sh", &[]);
    flood_config.max_output_bytes = 1_000;
    let shell = Shell::new(&flood_config).unwrap();
    let output = shell.execute(&sample_request(&[])).await.unwrap();
    assert_eq!(
        output.stdout,
        format!("{}{TRUNCATED_MARKER}", "x".repeat(1_000))
    );
    assert_eq!(
        output.stderr,
        format!("{}{TRUNCATED_MARKER}", "y".repeat(1_000))
    );
}

#[tokio::test]
async fn exit_codes_are_classified_for_retries() {
    let directory = tempfile::tempdir().unwrap();
    write_script(directory.path(), "fail.sh", "echo broken >&2\nexit 3");
    write_script(directory.path(), "busy.sh", "exit 75");
    let fail = Shell::new(&config(directory.path(), "fail.sh", &[])).unwrap();
    let error = fail.execute(&sample_request(&[])).await.unwrap_err();
    assert!(!error.is_retryable());
    let output = error.output().unwrap();
    assert_eq!(output.exit_code, Some(3));
    assert_eq!(output.stderr, "broken\n");
    let busy = Shell::new(&config(directory.path(), "busy.sh", &[])).unwrap();
    assert!(
        busy.execute(&sample_request(&[]))
            .await
            .unwrap_err()
            .is_retryable()
    );
}

#[tokio::test]
async fn scripts_outside_the_directory_are_refused_at_build_and_at_run() {
    let outside = tempfile::tempdir().unwrap();
    write_script(outside.path(), "evil.sh", "exit 0");
    let directory = tempfile::tempdir().unwrap();
    for script in ["../evil.sh", "/bin/sh"] {
        let error = Shell::new(&config(directory.path(), script, &[])).unwrap_err();
        assert!(error.to_string().contains("restart-pump"), "{error}");
    }
    write_script(directory.path(), "swap.sh", "exit 0");
    let shell = Shell::new(&config(directory.path(), "swap.sh", &[])).unwrap();
    std::fs::remove_file(directory.path().join("swap.sh")).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("evil.sh"),
        directory.path().join("swap.sh"),
    )
    .unwrap();
    let error = shell.execute(&sample_request(&[])).await.unwrap_err();
    assert!(
        matches!(error, ActionError::ScriptRefused { .. }),
        "{error}"
    );
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn run_as_switches_user_when_running_as_root() {
    let directory = tempfile::tempdir().unwrap();
    std::fs::set_permissions(directory.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    write_script(directory.path(), "whoami.sh", "id -u; id -g");
    let mut run_as_config = config(directory.path(), "whoami.sh", &[]);
    run_as_config.run_as = Some(RunAs {
        uid: 65534,
        gid: 65534,
    });
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        let error = Shell::new(&run_as_config).unwrap_err();
        assert!(error.to_string().contains("root"), "{error}");
        return;
    }
    let shell = Shell::new(&run_as_config).unwrap();
    let output = shell.execute(&sample_request(&[])).await.unwrap();
    assert_eq!(output.stdout, "65534\n65534\n");
}

#[tokio::test]
async fn the_sample_config_parses_builds_and_conforms() {
    let directory = tempfile::tempdir().unwrap();
    let mut sample: ActionConfig = toml::from_str(SAMPLE_CONFIG).unwrap();
    let ActionConfig::Shell(shell_config) = &mut sample else {
        panic!("the sample is a shell action");
    };
    assert_eq!(shell_config.script, "restart-coolant-pump.sh");
    assert_eq!(shell_config.args.len(), 4);
    shell_config.scripts_dir = directory.path().to_path_buf();
    write_script(directory.path(), "restart-coolant-pump.sh", "echo \"$@\"");
    write_script(directory.path(), "broken.sh", "exit 1");
    let mut broken_config = shell_config.clone();
    broken_config.script = "broken.sh".to_string();
    let broken = ActionConfig::Shell(broken_config);
    assert_action_conforms(&sample, &broken, false, &[]).await;
}
