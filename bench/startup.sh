#!/usr/bin/env bash
# Start-up time (process start → /api/health answers 200) and idle resident memory of
# `detectviz serve` on the embedded defaults (SQLite). Prints one JSON line.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p viot-web

work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$work/detectviz.conf" <<CONF
[server]
listen = "127.0.0.1:$port"
[log]
level = "warn"
[store]
url = "sqlite://$work/data/detectviz.db"
CONF

start_ns=$(date +%s%N)
./target/release/detectviz --config "$work/detectviz.conf" serve 2>"$work/log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
until curl -fs -o /dev/null "http://127.0.0.1:$port/api/health"; do
  kill -0 $pid 2>/dev/null || { cat "$work/log" >&2; exit 1; }
  sleep 0.005
done
ready_ns=$(date +%s%N)
sleep 3
rss_kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")
startup_ms=$(( (ready_ns - start_ns) / 1000000 ))
printf '{"bench":"startup","startup_ms":%d,"idle_rss_mb":%.1f,"target_idle_rss_mb":25}\n' \
  "$startup_ms" "$(awk -v kb="$rss_kb" 'BEGIN {print kb / 1024}')"
