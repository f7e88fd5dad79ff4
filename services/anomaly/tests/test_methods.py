"""Each method flags an injected anomaly (spike, step, drift, seasonal break) and stays quiet on
clean data; Western Electric rules 1-4 on crafted series."""
from __future__ import annotations

import numpy as np
import pytest

from detectviz_anomaly.methods.spc import western_electric_rules
from tests.conftest import flagged, noise

SPIKE_AT = 90


def _spiked(points: int = 120) -> list[float]:
    values = noise(points)
    values[SPIKE_AT] += 12.0
    return values.tolist()


def _stepped(points: int = 120) -> list[float]:
    values = noise(points)
    values[80:] += 2.0  # a sustained 2-sigma shift: what EWMA and CUSUM are for
    return values.tolist()


def _detect(client, method: str, values: list[float], params: dict | None = None) -> dict:
    response = client.post("/v1/detect", json={"method": method, "params": params or {},
                                                "series": [{"series_id": "s", "values": values}]})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("method,params", [
    ("threshold", {"upper": 18.0}),
    ("shewhart", {}),
    ("robust_z", {}),
    ("isolation_forest", {"contamination": 0.01}),
    ("ensemble", {"methods": ["robust_z", "shewhart"], "combine": "max"}),
])
def test_spike_flagged_and_clean_quiet(client, method, params):
    spiked = _detect(client, method, _spiked(), params)
    assert SPIKE_AT in flagged(spiked)
    result = spiked["results"][0]
    assert all(0.0 <= score <= 1.0 for score in result["scores"])
    assert result["reasons"][SPIKE_AT]
    if method != "isolation_forest":  # a fitted forest flags its top 1 % by construction
        assert flagged(_detect(client, method, noise().tolist(), params)) == []


@pytest.mark.parametrize("method", ["ewma", "cusum"])
def test_step_flagged_by_ewma_and_cusum_and_clean_quiet(client, method):
    params = {"center": 10.0, "sigma": 1.0}
    hits = flagged(_detect(client, method, _stepped(), params))
    assert hits and 80 <= hits[0] <= 95
    assert flagged(_detect(client, method, noise().tolist(), params)) == []


def test_drift_flagged_by_cusum(client):
    values = noise()
    values[60:] += np.linspace(0, 4, 60)
    hits = flagged(_detect(client, "cusum", values.tolist(), {"center": 10.0, "sigma": 1.0}))
    assert hits and hits[0] >= 60


def test_seasonal_break_flagged(client):
    points = np.arange(240)
    values = 10 + 5 * np.sin(2 * np.pi * points / 24) + 0.2 * np.random.RandomState(1).randn(240)
    clean = _detect(client, "seasonal", values.tolist(), {"period": 24})
    assert flagged(clean) == []
    values[130] += 3.0  # within the seasonal range, but off the pattern
    assert 130 in flagged(_detect(client, "seasonal", values.tolist(), {"period": 24}))


PCA_PARAMS = {"train_points": 150, "quantile": 1.0, "margin": 1.5}


def test_pca_t2q_flags_broken_correlation(client):
    random = np.random.RandomState(3)
    base = random.randn(300)
    rows = np.column_stack([base, 2 * base + 0.05 * random.randn(300), -base + 0.05 * random.randn(300)])
    clean = client.post("/v1/detect", json={"method": "pca_t2q", "params": PCA_PARAMS,
                                            "frame": {"columns": ["a", "b", "c"], "rows": rows.tolist()}})
    assert clean.status_code == 200 and flagged(clean.json()) == []
    rows[200, 1] = -2 * rows[200, 0]  # each value is ordinary, their relation is not
    broken = client.post("/v1/detect", json={"method": "pca_t2q", "params": PCA_PARAMS,
                                             "frame": {"columns": ["a", "b", "c"], "rows": rows.tolist()}})
    result = broken.json()["results"][0]
    assert flagged(broken.json()) == [200] and "Q (SPE)" in result["reasons"][200]


def test_batch_of_series_with_different_lengths(client):
    response = client.post("/v1/detect", json={"method": "robust_z", "series": [
        {"series_id": "long", "values": _spiked()},
        {"series_id": "short", "values": noise(50).tolist()},
        {"series_id": "long2", "values": noise(120, seed=9).tolist()}]})
    body = response.json()
    assert [r["series_id"] for r in body["results"]] == ["long", "short", "long2"]
    assert flagged(body, 0) == [SPIKE_AT] and flagged(body, 1) == [] and len(body["results"][1]["flags"]) == 50


def _rules(values: list[float]) -> list[int]:
    return western_electric_rules(np.array([values], dtype=float))[0].tolist()


def test_we_rule_1_one_point_beyond_3_sigma():
    assert _rules([0, 0.5, 3.5, 0, -0.2]) == [0, 0, 1, 0, 0]
    assert _rules([0, -3.2, 0])[1] == 1


def test_we_rule_2_two_of_three_beyond_2_sigma():
    assert _rules([0, 2.5, 0.3, 2.4, 0])[3] == 2
    assert 2 not in _rules([0, 2.5, -2.5, 0.3, 0])  # opposite sides do not count


def test_we_rule_3_four_of_five_beyond_1_sigma():
    codes = _rules([-0.5, 1.5, 1.2, 0.2, 1.1, 1.3, -0.5])
    assert codes[5] == 3 and codes[:5] == [0, 0, 0, 0, 0]


def test_we_rule_4_eight_on_one_side():
    codes = _rules([-0.1] + [0.4] * 8 + [-0.3])
    assert codes[8] == 4 and codes[7] == 0 and codes[9] == 0


def test_nelson_trend_of_six():
    values = [0, -0.9, -0.6, -0.3, 0.0, 0.3, 0.6, -0.5]
    assert western_electric_rules(np.array([values]), nelson=True)[0][6] == 5
    assert 5 not in _rules(values)


def test_kmeans_consensus_flags_spike_after_training_window(client):
    params = {"train_points": 120}
    clean = noise(200)
    assert [i for i in flagged(_detect(client, "kmeans", clean.tolist(), params)) if i >= 120] == []
    clean[150] += 8.0
    hits = flagged(_detect(client, "kmeans", clean.tolist(), params))
    assert 150 in hits and [i for i in hits if i >= 120][0] == 150
