#!/usr/bin/env bash
# Anomaly service benchmark (`make bench`): SKAB outlier F1/FAR/MAR under the leaderboard protocol
# (train on the first 400 rows of each file, score the rest) for PCA T²+Q, per-channel EWMA and
# Isolation Forest, beside the leaderboard's figure for the comparable method (peer) and the ratio;
# plus /v1/detect throughput in process, SPC/EWMA scoring of 10,000 series × 60 points on one core
# (target ≥ 1,000,000 points/s) and the inference cost per point of every model. Prints one JSON line. Data: SKAB_DATA_DIR or
# ../shared/data/skab beside the repository (never copied into it).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
python="$root/.venv/bin/python"
cd "$root/services/anomaly"
# One core: no BLAS or OpenMP thread pools.
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
"$python" bench_skab.py "$@"
