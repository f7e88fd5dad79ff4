#!/usr/bin/env bash
# Notifier benchmark (`make bench`): alerts in → grouped notifications out, Detectviz against
# Prometheus Alertmanager on the same input in the same run. Both get the same batches of
# alerts on `POST /api/v2/alerts`, group by `alertname` with group_wait and group_interval of
# 1 s, and deliver Alertmanager v4 webhook bodies to the same counting sink
# (bench/notifier_bench.py). Detectviz runs `detectviz serve` on its embedded defaults (SQLite
# store, embedded bus); its per-channel rate limit is raised so it does not cap the run.
# Prints one JSON line: throughput (alerts/s fully delivered), p99 time to first notification,
# peak RSS for both, and the ratios.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
cargo build --release -q -p viot-web --manifest-path "$root/Cargo.toml"
detectviz="$CARGO_TARGET_DIR/release/detectviz"
python="$root/.venv/bin/python"
[ -x "$python" ] || python=python3
alerts="${NOTIFIER_BENCH_ALERTS:-20000}"
groups="${NOTIFIER_BENCH_GROUPS:-200}"
batch="${NOTIFIER_BENCH_BATCH:-500}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
spare_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# --- Detectviz ---
port=$(spare_port)
sink_port=$(spare_port)
cat >"$work/detectviz.conf" <<CONF
[server]
listen = "127.0.0.1:$port"
[log]
level = "warn"
[store]
url = "sqlite://$work/data/detectviz.db"
[bus]
embedded_path = "$work/data/bus.db"
[notifier]
tick_ms = 100
[notifier.route]
receiver = "sink"
group_by = ["alertname"]
group_wait_s = 1
group_interval_s = 1
repeat_interval_s = 14400
[[notifier.receivers]]
name = "sink"
channels = ["sink"]
[[notifier.channels]]
type = "webhook"
name = "sink"
url = "http://127.0.0.1:$sink_port/hook"
[notifier.rate_limit]
per_minute = 6000000
burst = 100000
CONF
"$detectviz" --config "$work/detectviz.conf" migrate >/dev/null 2>&1
token=$("$detectviz" --config "$work/detectviz.conf" token create --name bench --scope write 2>/dev/null)
detectviz_result=$("$python" "$root/bench/notifier_bench.py" --port "$port" --sink-port "$sink_port" \
  --token "$token" --alerts "$alerts" --groups "$groups" --batch "$batch" \
  -- "$detectviz" --config "$work/detectviz.conf" serve)

# --- Alertmanager ---
port=$(spare_port)
sink_port=$(spare_port)
cat >"$work/alertmanager.yml" <<CONF
route:
  receiver: sink
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 4h
receivers:
  - name: sink
    webhook_configs:
      - url: http://127.0.0.1:$sink_port/hook
        send_resolved: false
CONF
alertmanager_result=$("$python" "$root/bench/notifier_bench.py" --port "$port" --sink-port "$sink_port" \
  --alerts "$alerts" --groups "$groups" --batch "$batch" \
  -- prometheus-alertmanager --config.file="$work/alertmanager.yml" \
  --storage.path="$work/alertmanager" --web.listen-address="127.0.0.1:$port" \
  --cluster.listen-address= --log.level=warn)

"$python" - "$detectviz_result" "$alertmanager_result" <<'PY'
import json, sys
detectviz, alertmanager = (json.loads(argument) for argument in sys.argv[1:3])
def ratio(numerator, denominator):
    if not numerator or not denominator:
        return None
    return round(numerator / denominator, 2)
print(json.dumps({
    "bench": "notifier",
    "alerts": detectviz["alerts"],
    "group_by": ["alertname"],
    "detectviz": detectviz,
    "alertmanager": alertmanager,
    "throughput_ratio": ratio(detectviz["alerts_per_s"], alertmanager["alerts_per_s"]),
    "p99_first_notification_ratio": ratio(detectviz["p99_first_notification_ms"], alertmanager["p99_first_notification_ms"]),
    "rss_ratio": ratio(detectviz["peak_rss_kib"], alertmanager["peak_rss_kib"]),
}))
PY
