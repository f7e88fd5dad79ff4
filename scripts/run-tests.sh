#!/usr/bin/env bash
# Runs every Rust test of the workspace (unit, contract suites on both backends, end-to-end
# against real local servers). Uses cargo-nextest when present, else `cargo test`.
set -euo pipefail
if command -v cargo-nextest >/dev/null 2>&1; then
  exec cargo nextest run --workspace --no-fail-fast "$@"
fi
exec cargo test --workspace --no-fail-fast "$@"
