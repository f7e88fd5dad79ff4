#!/usr/bin/env bash
# Ingest benchmark (`make bench`): parse batches of 5,000 lines of line protocol over 100,000
# series (points/s and CPU seconds per million points, one core), the same into owned points
# and into the series window, and the window's memory per series at 60 samples. In the same
# run, the peer figure: Debian's influxd (its own, on spare ports in a temporary directory)
# taking 200,000 of the same lines on /write, with its CPU seconds per million points.
# Prints one JSON line. BENCH_INGEST_ROUNDS passes over the 50,000 tag sets (default 40).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
cargo build --quiet --release -p ingest --example ingest_bench --manifest-path "$root/Cargo.toml"
bench="$CARGO_TARGET_DIR/release/examples/ingest_bench"

work="$(mktemp -d)"
influxd_pid=""
cleanup() {
    if [ -n "$influxd_pid" ]; then kill "$influxd_pid" 2>/dev/null || true; wait "$influxd_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

if command -v influxd >/dev/null 2>&1; then
    spare_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
    http_port="$(spare_port)"
    rpc_port="$(spare_port)"
    cat >"$work/influxdb.conf" <<CONF
reporting-disabled = true
bind-address = "127.0.0.1:$rpc_port"
[meta]
  dir = "$work/meta"
[data]
  dir = "$work/data"
  wal-dir = "$work/wal"
  query-log-enabled = false
[http]
  bind-address = "127.0.0.1:$http_port"
  log-enabled = false
[monitor]
  store-enabled = false
CONF
    influxd -config "$work/influxdb.conf" >"$work/influxd.log" 2>&1 &
    influxd_pid=$!
    for _ in $(seq 1 100); do
        curl -fs -o /dev/null "http://127.0.0.1:$http_port/ping" && break
        sleep 0.1
    done
    curl -fs -o /dev/null -XPOST "http://127.0.0.1:$http_port/query" --data-urlencode "q=CREATE DATABASE bench"
    export INGEST_BENCH_PEER_URL="http://127.0.0.1:$http_port" INGEST_BENCH_PEER_PID="$influxd_pid"
fi

"$bench" "${BENCH_INGEST_ROUNDS:-40}"
