#!/usr/bin/env bash
# Ingest benchmark (`make bench`): parse batches of 5,000 lines of line protocol over 100,000
# series (points/s and CPU seconds per million points, one core), the same with the points put
# into the series window, and the window's memory per series at 60 samples. Prints one JSON line.
# BENCH_INGEST_ROUNDS passes over the 50,000 tag sets (default 40, i.e. 2,000,000 lines).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
cargo build --quiet --release -p ingest --example ingest_bench --manifest-path "$root/Cargo.toml"
"$CARGO_TARGET_DIR/release/examples/ingest_bench" "${BENCH_INGEST_ROUNDS:-40}"
