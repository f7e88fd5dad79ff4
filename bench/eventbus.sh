#!/usr/bin/env bash
# Event bus benchmark (`make bench`): publish + consume + ack of BENCH_EVENTS (default
# 1,000,000) envelopes of about 300 bytes, batched, on the Redis and the embedded backends, and
# in the same run the raw `redis-benchmark -P 64 XADD` rate against the same Redis (a
# redis-server of its own on a spare port, so the shared one is left alone). Prints one JSON line.
set -euo pipefail

events="${BENCH_EVENTS:-1000000}"
root="$(cd "$(dirname "$0")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
work="$(mktemp -d)"
redis_pid=""
cleanup() {
    if [ -n "$redis_pid" ]; then kill "$redis_pid" 2>/dev/null || true; wait "$redis_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

cargo build --quiet --release -p eventbus --example bus_bench --manifest-path "$root/Cargo.toml"
bench="$CARGO_TARGET_DIR/release/examples/bus_bench"

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" >"$work/redis.log" 2>&1 &
redis_pid=$!
for _ in $(seq 1 100); do
    redis-cli -p "$port" ping >/dev/null 2>&1 && break
    sleep 0.1
done

redis_line="$("$bench" --backend redis --events "$events" --redis-url "redis://127.0.0.1:$port")"
redis-cli -p "$port" flushall >/dev/null
embedded_line="$("$bench" --backend embedded --events "$events" --embedded-path "$work/bus.db")"

payload="$(printf 'x%.0s' $(seq 1 300))"
xadd_output="$(redis-benchmark -p "$port" -P 64 -n "$events" -q XADD benchstream '*' payload "$payload" 2>&1 | tr '\r' '\n' | grep 'requests per second' | tail -1)"
redis-cli -p "$port" del benchstream >/dev/null

python3 - "$events" "$redis_line" "$embedded_line" "$xadd_output" <<'PY'
import json, re, sys
events, redis_line, embedded_line, xadd_output = sys.argv[1:5]
redis_result = json.loads(redis_line)
embedded_result = json.loads(embedded_line)
xadd = float(re.search(r"([0-9.]+) requests per second", xadd_output).group(1))
print(json.dumps({
    "bench": "eventbus",
    "events": int(events),
    "payload_bytes": redis_result["payload_bytes"],
    "redis_events_per_s": redis_result["events_per_s"],
    "embedded_events_per_s": embedded_result["events_per_s"],
    "redis_benchmark_xadd_per_s": xadd,
    "ratio_redis_to_xadd": round(redis_result["events_per_s"] / xadd, 3),
    "redis_server_usec_per_event": redis_result.get("redis_server_usec_per_event"),
}))
PY
