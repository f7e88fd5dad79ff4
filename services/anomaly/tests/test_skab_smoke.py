"""SKAB smoke test on one valve1 file under the benchmark protocol (train on the first 400 rows,
score the rest): PCA T²+Q must beat the trivial all-normal detector's F1 (which is 0)."""
from __future__ import annotations

import numpy as np
import pytest

from detectviz_anomaly import nab, skab

VALVE1_FILE = skab.data_dir() / "valve1" / "0.csv"


def require_skab_data() -> None:
    """The data sits beside the checkout (shared/data/skab); a missing copy is a failure, not a skip."""
    assert VALVE1_FILE.exists(), f"SKAB data not found at {VALVE1_FILE}; set SKAB_DATA_DIR to the skab folder"


def test_pca_t2q_beats_all_normal_on_valve1_file(client):
    require_skab_data()
    data = skab.load_file(VALVE1_FILE)
    train, test = data.values[: skab.TRAIN_ROWS], data.values[skab.TRAIN_ROWS:]
    trained = client.post("/v1/train", json={"name": "valve1/0", "method": "pca_t2q",
                                             "frame": {"columns": data.channels, "rows": train.tolist()}})
    assert trained.status_code == 200, trained.text
    detected = client.post("/v1/detect", json={"model_id": trained.json()["model_id"],
                                               "frame": {"columns": data.channels, "rows": test.tolist()}})
    flags = np.array(detected.json()["results"][0]["flags"])
    truth = data.anomaly[skab.TRAIN_ROWS:]
    ours = skab.outlier_score(truth, flags)
    all_normal = skab.outlier_score(truth, np.zeros_like(truth))
    assert all_normal.f1 == 0.0
    assert ours.f1 > all_normal.f1 + 0.3, ours


def test_nab_scorer_reproduces_the_all_anomalous_reference_row():
    """BENCHMARK.md §1.4: constant 1 scores −1.47 / −2.94 / −0.98 with 127 missed and 34 FPs."""
    require_skab_data()
    tally = nab.NabTally()
    for data in skab.labelled_files():
        test = slice(skab.TRAIN_ROWS, None)
        tally.add_file(data.seconds()[test], data.changepoint[test],
                       nab.changepoints_from_flags(np.ones(len(data.anomaly) - skab.TRAIN_ROWS, dtype=bool)))
    assert tally.summary() == {"nab_standard": -1.47, "nab_low_fp": -2.94, "nab_low_fn": -0.98,
                               "missed_cps": 127, "fp_cps": 34}


def test_nab_early_detection_earns_more_than_late():
    seconds = np.arange(300, dtype=float)
    truth = np.zeros(300, dtype=bool)
    truth[100] = True
    early, late = nab.NabTally(), nab.NabTally()
    early.add_file(seconds, truth, seconds == 101)
    late.add_file(seconds, truth, seconds == 159)
    assert early.score("standard") > 95 and 40 < late.score("standard") < 50
    assert early.missed == late.missed == 0


def test_smoothed_changepoint_rule_merges_flicker():
    flags = np.zeros(100, dtype=bool)
    flags[[20, 22, 23, 25, 26]] = True  # flicker around an event
    assert nab.changepoints_from_flags(flags).sum() == 6
    cps = np.nonzero(nab.smoothed_changepoints(flags))[0].tolist()
    assert cps == [22, 57]  # median on at 22..27, held by the max for 30 more points
