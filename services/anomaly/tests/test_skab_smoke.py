"""SKAB smoke test on one valve1 file under the benchmark protocol (train on the first 400 rows,
score the rest): PCA T²+Q must beat the trivial all-normal detector's F1 (which is 0)."""
from __future__ import annotations

import numpy as np
import pytest

from detectviz_anomaly import skab

VALVE1_FILE = skab.data_dir() / "valve1" / "0.csv"


@pytest.mark.skipif(not VALVE1_FILE.exists(), reason=f"SKAB data not found at {VALVE1_FILE}")
def test_pca_t2q_beats_all_normal_on_valve1_file(client):
    data = skab.load_file(VALVE1_FILE)
    train, test = data.values[: skab.TRAIN_ROWS], data.values[skab.TRAIN_ROWS:]
    trained = client.post("/v1/train", json={"name": "valve1/0", "method": "pca_t2q",
                                             "frame": {"columns": skab.CHANNELS, "rows": train.tolist()}})
    assert trained.status_code == 200, trained.text
    detected = client.post("/v1/detect", json={"model_id": trained.json()["model_id"],
                                               "frame": {"columns": skab.CHANNELS, "rows": test.tolist()}})
    flags = np.array(detected.json()["results"][0]["flags"])
    truth = data.anomaly[skab.TRAIN_ROWS:]
    ours = skab.outlier_score(truth, flags)
    all_normal = skab.outlier_score(truth, np.zeros_like(truth))
    assert all_normal.f1 == 0.0
    assert ours.f1 > all_normal.f1 + 0.3, ours
