#!/usr/bin/env bash
# `make run`: start Detectviz on this machine with one command.
#
# Builds nothing itself (the Makefile builds the release binary first). When the anomaly service
# is wanted — `[analyzer] enabled = true` in the config, DETECTVIZ_ANALYZER__ENABLED=true, or
# WITH_ANOMALY=1 (`make run-all`, which also enables [analyzer]) — it creates the repository's
# .venv with services/anomaly if needed, starts uvicorn on the port of `[analyzer] url`, waits
# for /healthz, then starts the core. Ctrl-C (or SIGTERM) stops both; if either exits, the other
# is stopped too.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
config="${CONFIG:-$root/conf/detectviz.conf}"
binary="${DETECTVIZ_BINARY:-${CARGO_TARGET_DIR:-$root/target}/release/detectviz}"
venv="$root/.venv"

# What the config says about the analyzer: "<enabled> <url>".
# (Without Python 3.11's tomllib the section cannot be read: the core runs alone unless asked.)
read -r enabled url < <(python3 - "$config" 2>/dev/null <<'PY' || echo "false http://127.0.0.1:8090"
import sys, tomllib
try:
    with open(sys.argv[1], "rb") as file:
        section = tomllib.load(file).get("analyzer", {})
except FileNotFoundError:
    section = {}
print(str(section.get("enabled", False)).lower(), section.get("url", "http://127.0.0.1:8090"))
PY
)
if [ "${DETECTVIZ_ANALYZER__ENABLED:-}" = "true" ] || [ "${WITH_ANOMALY:-0}" = "1" ]; then
  enabled=true
fi
url="${DETECTVIZ_ANALYZER__URL:-$url}"

anomaly_pid=""
core_pid=""
stop_all() {
  trap - INT TERM EXIT
  [ -n "$core_pid" ] && kill "$core_pid" 2>/dev/null && wait "$core_pid" 2>/dev/null
  [ -n "$anomaly_pid" ] && kill "$anomaly_pid" 2>/dev/null && wait "$anomaly_pid" 2>/dev/null
  return 0
}
trap stop_all INT TERM EXIT

if [ "$enabled" = "true" ]; then
  if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import detectviz_anomaly" 2>/dev/null; then
    echo "run: creating $venv with services/anomaly (first run only)"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -e "$root/services/anomaly"
  fi
  hostport="${url#*://}"; hostport="${hostport%%/*}"
  host="${hostport%%:*}"; port="${hostport##*:}"
  [ "$port" = "$hostport" ] && port=80
  mkdir -p "$root/data/models"
  echo "run: anomaly service on http://$host:$port (models in data/models)"
  (cd "$root/services/anomaly" && DETECTVIZ_ANOMALY_MODELS_DIR="$root/data/models" \
     exec "$venv/bin/python" -m uvicorn detectviz_anomaly.app:app --host "$host" --port "$port") &
  anomaly_pid=$!
  for _ in $(seq 1 600); do
    if "$venv/bin/python" -c "import urllib.request, sys; urllib.request.urlopen(sys.argv[1], timeout=1)" \
         "http://$host:$port/healthz" 2>/dev/null; then break; fi
    if ! kill -0 "$anomaly_pid" 2>/dev/null; then echo "run: the anomaly service did not start" >&2; exit 1; fi
    sleep 0.2
  done
  export DETECTVIZ_ANALYZER__ENABLED=true DETECTVIZ_ANALYZER__URL="$url"
fi

cd "$root"
"$binary" --config "$config" serve &
core_pid=$!
# Whichever stops first stops the other.
if [ -n "$anomaly_pid" ]; then
  wait -n "$core_pid" "$anomaly_pid" || true
else
  wait "$core_pid" || true
fi
