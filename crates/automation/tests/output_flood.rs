//! An output flood is capped without memory growth: a script printing 256 MiB leaves a record
//! of the cap plus the marker, and the peak resident memory of this process (its own test
//! binary, so no other test shares it) grows by far less than the flood.

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use automation::action::output::TRUNCATED_MARKER;
use automation::action::{Action, ActionRequest, Shell, ShellConfig};
use automation::sample::sample_transition;

const FLOOD_BYTES: u64 = 256 * 1024 * 1024;

/// The peak resident set size of this process, in bytes (`VmHWM`).
fn peak_resident_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|line| line.starts_with("VmHWM:"))
        .expect("VmHWM in /proc/self/status");
    let kilobytes: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|number| number.parse().ok())
        .expect("a number of kB");
    kilobytes * 1024
}

#[tokio::test]
async fn a_flood_of_output_is_capped_without_memory_growth() {
    let directory = tempfile::tempdir().unwrap();
    let script = directory.path().join("flood.sh");
    std::fs::write(
        &script,
        format!("#!/bin/sh\nhead -c {FLOOD_BYTES} /dev/zero | tr '\\0' x\necho tail >&2\n"),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let config: ShellConfig = toml::from_str(&format!(
        "name = \"flood\"\nscripts_dir = \"{}\"\nscript = \"flood.sh\"\nmax_output_bytes = 65536\n",
        directory.path().display()
    ))
    .unwrap();
    let shell = Shell::new(&config).unwrap();
    let request = ActionRequest {
        run_id: "flood".to_string(),
        transition: sample_transition(),
        parameters: Default::default(),
        timeout: Duration::from_secs(120),
        live_output: None,
    };

    let before = peak_resident_bytes();
    let output = shell.execute(&request).await.unwrap();
    let growth = peak_resident_bytes().saturating_sub(before);

    assert_eq!(output.exit_code, Some(0));
    assert_eq!(
        output.stdout,
        format!("{}{TRUNCATED_MARKER}", "x".repeat(65_536))
    );
    assert_eq!(output.stderr, "tail\n");
    assert!(
        growth < FLOOD_BYTES / 8,
        "peak memory grew by {growth} bytes for a {FLOOD_BYTES}-byte flood"
    );
}
