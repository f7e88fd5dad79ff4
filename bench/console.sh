#!/usr/bin/env bash
# Console benchmark: server-side time of the alert page with 1,000 rows (p50, p99; target p99
# at most 20 ms) and of 50-row pages of a 100,000-alert table served with remote pagination,
# in process through the whole router on SQLite. Prints one JSON line.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
cargo build --quiet --release -p viot-web --example console_bench --manifest-path "$root/Cargo.toml"
"$CARGO_TARGET_DIR/release/examples/console_bench"
