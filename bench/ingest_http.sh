#!/usr/bin/env bash
# Ingest over HTTP on loopback (points/s, target 300,000) and the latency from a point's
# arrival to its alert transition on the bus (p50, p99; target p99 at most 50 ms), on the
# embedded defaults. Prints one JSON line.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
cargo build --quiet --release -p viot-web --example ingest_http_bench --manifest-path "$root/Cargo.toml"
"$CARGO_TARGET_DIR/release/examples/ingest_http_bench"
