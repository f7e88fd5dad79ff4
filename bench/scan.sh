#!/usr/bin/env bash
# Scan benchmark (`make bench`): sweep 127.0.1.0/24 holding 20 real snmpd agents and 234
# silent hosts (1 s timeout, 1 retry), report wall time, hosts/s and completeness, and time
# Debian's onesixtyone on the same range when it is installed. Prints one JSON line.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
cargo build --quiet --release -p autodeploy --example scan_bench --manifest-path "$root/Cargo.toml"
"$CARGO_TARGET_DIR/release/examples/scan_bench"
