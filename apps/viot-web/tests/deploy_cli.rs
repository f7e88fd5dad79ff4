//! `detectviz deploy` against a real SNMP agent: after `detectviz scan` records it,
//! `--dry-run` prints the unified diff and writes nothing; a deploy writes the device's file,
//! sends the stand-in Telegraf a SIGHUP, and a second dry run has nothing left to change.

#[path = "support/autodeploy_setup.rs"]
mod autodeploy_setup;
#[path = "../../../crates/autodeploy/tests/peers/mod.rs"]
mod peers;

use std::path::Path;

use autodeploy_setup::{autodeploy_config, shared_directory, telegraf_files};

#[tokio::test]
async fn the_cli_dry_run_prints_the_diff_and_a_deploy_writes_and_reloads() {
    let agent = peers::SnmpAgent::start().await;
    let telegraf = peers::HupRecorder::start();
    let directory = tempfile::tempdir().unwrap();
    let root = directory.path();
    autodeploy_config(root, &telegraf.pid_file, 0);
    let config_path = root.join("detectviz.conf");
    std::fs::write(
        &config_path,
        format!(
            "[store]\nurl = \"sqlite://{}\"\n\n[bus]\nembedded_path = {:?}\n\n\
             [autodeploy]\nenabled = true\ntelegraf_directory = {:?}\nsnapshot_directory = {:?}\n\
             telegraf_reference_directory = {:?}\nprofiles_directory = {:?}\n\
             healthcheck_targets_file = {:?}\n[autodeploy.reload]\ntype = \"Signal\"\npid_file = {:?}\n",
            root.join("detectviz.db").display(),
            root.join("bus.db"),
            root.join("telegraf.d"),
            root.join("snapshots"),
            shared_directory().join("reference/telegraf"),
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../conf/provisioning/templates/telegraf"),
            root.join("healthcheck_targets.csv"),
            telegraf.pid_file,
        ),
    )
    .unwrap();
    let detectviz = |arguments: &[&str]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_detectviz"));
        command.arg("--config").arg(&config_path).args(arguments);
        command.output().unwrap()
    };
    let port = agent.port.to_string();
    let scanned = detectviz(&[
        "scan",
        "--cidr",
        "127.0.0.1",
        "--snmp-community",
        peers::COMMUNITY,
        "--snmp-port",
        &port,
        "--timeout-ms",
        "300",
    ]);
    assert!(
        scanned.status.success(),
        "{}",
        String::from_utf8_lossy(&scanned.stderr)
    );

    let dry = detectviz(&["deploy", "--dry-run"]);
    let diff = String::from_utf8_lossy(&dry.stdout);
    assert!(
        dry.status.success(),
        "{}",
        String::from_utf8_lossy(&dry.stderr)
    );
    assert!(
        diff.contains("+++ b/detectviz-device-snmp-127.0.0.1-") && diff.contains("[[inputs.snmp]]"),
        "{diff}"
    );
    assert_eq!(telegraf_files(root), ["outputs.conf"]);

    let deployed = detectviz(&["deploy", "--message", "from the cli"]);
    assert!(
        deployed.status.success(),
        "{}",
        String::from_utf8_lossy(&deployed.stderr)
    );
    assert_eq!(telegraf_files(root).len(), 2);
    telegraf.wait_for_hups(1);
    let again = detectviz(&["deploy", "--dry-run"]);
    assert!(again.stdout.is_empty(), "nothing left to change");
}
