#!/usr/bin/env bash
# Alert engine benchmark (`make bench`): evaluate batches of 5,000 samples over 100,000 series
# with 1,000 threshold rules and 100 statistical rules, in process. Prints one JSON line
# (samples/s and CPU seconds per million samples).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
cargo build --quiet --release -p alert --example alert_bench --manifest-path "$root/Cargo.toml"
"$CARGO_TARGET_DIR/release/examples/alert_bench"
