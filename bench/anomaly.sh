#!/usr/bin/env bash
# Anomaly service benchmark (`make bench`): SKAB outlier F1/FAR/MAR under the leaderboard protocol
# (train on the first 400 rows of each file, score the rest) for PCA T²+Q, per-channel EWMA and
# Isolation Forest, beside the leaderboard's figure for the comparable method (peer) and the ratio;
# plus /v1/detect throughput in process. Prints one JSON line. Data: SKAB_DATA_DIR or
# ../shared/data/skab beside the repository (never copied into it).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
python="$root/.venv/bin/python"
cd "$root/services/anomaly"
"$python" bench_skab.py "$@"
