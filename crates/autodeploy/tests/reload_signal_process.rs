//! The Signal and Command reload plugins against a real process: a shell script that traps
//! HUP and appends a line to a file for every one it receives.

use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use autodeploy::ReloadConfig;

/// Upper bound for waiting on the stand-in process; a hang guard, not a timing assertion.
const HANG_GUARD: Duration = Duration::from_secs(30);

fn wait_for(description: &str, mut condition: impl FnMut() -> bool) {
    let started = Instant::now();
    while !condition() {
        assert!(
            started.elapsed() < HANG_GUARD,
            "gave up waiting for {description}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn hup_count(record_file: &Path) -> usize {
    std::fs::read_to_string(record_file)
        .map(|text| text.lines().count())
        .unwrap_or(0)
}

/// Starts the stand-in; it writes its pid file only after installing the trap.
fn start_stand_in(directory: &Path) -> Child {
    let script = r#"trap 'echo hup >> "$1"' HUP; echo $$ > "$2.partial"; mv "$2.partial" "$2"; while :; do sleep 0.05; done"#;
    let pid_file = directory.join("telegraf.pid");
    let child = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg("stand-in")
        .arg(directory.join("hups"))
        .arg(&pid_file)
        .spawn()
        .unwrap();
    wait_for("the stand-in's pid file", || pid_file.exists());
    child
}

struct StopOnDrop(Child);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_signal_plugin_delivers_hup_to_the_pid_in_the_pid_file() {
    let directory = tempfile::tempdir().unwrap();
    let stand_in = StopOnDrop(start_stand_in(directory.path()));
    let pid_file = directory.path().join("telegraf.pid");
    assert_eq!(
        std::fs::read_to_string(&pid_file).unwrap().trim(),
        stand_in.0.id().to_string()
    );

    let config: ReloadConfig =
        toml::from_str(&format!("type = \"Signal\"\npid_file = {:?}\n", pid_file)).unwrap();
    let reloader = config.build().unwrap();
    let record_file = directory.path().join("hups");
    assert_eq!(hup_count(&record_file), 0);
    reloader.reload().unwrap();
    wait_for("the first HUP to be recorded", || {
        hup_count(&record_file) == 1
    });
    reloader.reload().unwrap();
    wait_for("the second HUP to be recorded", || {
        hup_count(&record_file) == 2
    });
}

#[test]
fn the_command_plugin_runs_argv_without_a_shell() {
    let directory = tempfile::tempdir().unwrap();
    let stand_in = StopOnDrop(start_stand_in(directory.path()));
    let pid = stand_in.0.id().to_string();
    let config = ReloadConfig::Command(autodeploy::reload::CommandReloadConfig {
        argv: vec!["kill".into(), "-HUP".into(), pid],
    });
    config.build().unwrap().reload().unwrap();
    let record_file = directory.path().join("hups");
    wait_for("the HUP sent by the command", || {
        hup_count(&record_file) == 1
    });

    let with_shell_syntax = ReloadConfig::Command(autodeploy::reload::CommandReloadConfig {
        argv: vec!["true; touch injected".into()],
    });
    assert!(
        with_shell_syntax.build().unwrap().reload().is_err(),
        "argv[0] is a program name, not a shell line"
    );
}

#[test]
fn signalling_a_process_that_is_gone_is_an_error() {
    let directory = tempfile::tempdir().unwrap();
    let mut finished = Command::new("true").spawn().unwrap();
    let pid = finished.id();
    finished.wait().unwrap();
    let pid_file = directory.path().join("gone.pid");
    std::fs::write(&pid_file, pid.to_string()).unwrap();
    let config: ReloadConfig =
        toml::from_str(&format!("type = \"Signal\"\npid_file = {:?}\n", pid_file)).unwrap();
    let error = config.build().unwrap().reload().unwrap_err();
    assert!(error.to_string().contains(&format!("pid {pid}")), "{error}");
}
