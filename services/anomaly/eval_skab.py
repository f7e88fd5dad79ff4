"""`make eval-skab`: the SKAB evaluation of the anomaly service, printed as a table beside the
published leaderboard (../shared/data/skab/BENCHMARK.md, read in place, never copied).

Protocol (BENCHMARK.md): for every labelled file of valve1, valve2 and other, train on the first
400 rows through `POST /v1/train` (a frame of the file's channels, read from its header), score the
remaining rows in order with `POST /v1/detect` and the model id; pool point-wise outlier F1, FAR
and MAR over all test parts; score change points with the NAB profiles (standard, LowFP, LowFN)
and count missed and false-positive change points. Every configuration below was fixed before it
was run on the test parts and is printed, whatever its result: nothing is tuned on test labels.
Run a subset with group names as arguments (`eval_skab.py valve1`)."""
from __future__ import annotations

import sys
import tempfile

from fastapi.testclient import TestClient

from bench_skab import evaluate
from detectviz_anomaly import skab
from detectviz_anomaly.app import create_app

# label → (service method, params, why this configuration)
CONFIGURATIONS: dict[str, tuple[str, dict, str]] = {
    "pca_t2q": ("pca_t2q", {"variance": 0.9, "quantile": 0.99, "margin": 1.0},
                "T²+Q, limits at the 99th percentile of the training part"),
    "pca_t2q_strict": ("pca_t2q", {"variance": 0.9, "quantile": 1.0, "margin": 1.5},
                       "T²+Q, limits 1.5 × the training maximum (the API test's setting)"),
    "ewma_or": ("ewma", {"lambda": 0.2, "L": 8.0, "robust": False},
                "EWMA λ=0.2, L=8 per channel, OR-fused (BENCHMARK.md §1.4)"),
    "isolation_forest": ("isolation_forest", {"quantile": 0.99},
                         "Isolation Forest, threshold at the training 99th percentile"),
}

OUTLIER_LEADERBOARD = [("Conv-AE", 0.78, 13.55, 28.02), ("MSET", 0.78, 39.73, 14.13),
                       ("T-squared+Q (PCA-based)", 0.76, 26.62, 24.92), ("LSTM-AE", 0.74, 29.96, 25.92),
                       ("T-squared", 0.66, 19.21, 42.6), ("Isolation forest", 0.29, 2.56, 82.89),
                       ("all-anomalous (trivial)", 0.70, 100.0, 0.0)]
CHANGEPOINT_LEADERBOARD = [("MSCRED", 32.42, 16.53, 40.28, 55, 342),
                           ("Isolation forest", 26.16, 19.5, 30.82, 76, 135),
                           ("T-squared+Q (PCA-based)", 25.35, 14.51, 31.33, 72, 232),
                           ("Conv-AE", 23.61, 21.54, 27.55, 82, 23),
                           ("T-squared", 19.54, 10.2, 24.31, 70, 106)]


def main() -> None:
    groups = tuple(sys.argv[1:]) or ("valve1", "valve2", "other")
    files = skab.labelled_files(groups)
    results = {}
    with tempfile.TemporaryDirectory() as models_dir:
        client = TestClient(create_app(models_dir))
        for label, (method, params, _) in CONFIGURATIONS.items():
            results[label] = evaluate(client, method, params, files)
    test_points = sum(len(data.anomaly) - skab.TRAIN_ROWS for data in files)
    print(f"SKAB {', '.join(groups)}: {len(files)} files, {test_points} test points "
          f"(first {skab.TRAIN_ROWS} rows of each file train, the rest is scored in order)\n")
    print("Outlier detection (FAR and MAR in %)")
    print(f"{'detector':42} {'F1':>6} {'FAR':>7} {'MAR':>7}")
    for label, outcome in results.items():
        print(f"{'ours: ' + label:42} {outcome['f1']:6.2f} {outcome['far']:7.2f} {outcome['mar']:7.2f}")
    for name, f1, far, mar in OUTLIER_LEADERBOARD:
        print(f"{'leaderboard: ' + name:42} {f1:6.2f} {far:7.2f} {mar:7.2f}")
    print("\nChange-point detection (NAB; CP = |diff(flags)|, and the IForest notebook's smoothed rule)")
    print(f"{'detector':42} {'std':>7} {'LowFP':>7} {'LowFN':>7} {'missed':>7} {'FP':>6}")
    for label, outcome in results.items():
        for suffix, scores in (("", outcome), (" (smoothed)", outcome["smoothed_cp_rule"])):
            print(f"{'ours: ' + label + suffix:42} {scores['nab_standard']:7.2f} {scores['nab_low_fp']:7.2f} "
                  f"{scores['nab_low_fn']:7.2f} {scores['missed_cps']:7d} {scores['fp_cps']:6d}")
    for name, standard, low_fp, low_fn, missed, false_positives in CHANGEPOINT_LEADERBOARD:
        print(f"{'leaderboard: ' + name:42} {standard:7.2f} {low_fp:7.2f} {low_fn:7.2f} {missed:7d} "
              f"{false_positives:6d}")
    print("\nConfigurations (fixed before running on the test parts):")
    for label, (method, params, why) in CONFIGURATIONS.items():
        print(f"  {label}: {method} {params} — {why}")


if __name__ == "__main__":
    main()
