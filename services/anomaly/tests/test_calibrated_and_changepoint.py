"""The change-point CUSUM, the calibrated PCA T²+Q and the alarm post-processing (persistence,
hold) on synthetic frames with known answers: step, spike, drift, and clean noise (no alarm)."""
from __future__ import annotations

import numpy as np

from detectviz_anomaly.methods import registry
from tests.conftest import flagged

TRAIN, TEST = 400, 300
COLUMNS = ["a", "b", "c"]


def _frame(seed: int = 3) -> np.ndarray:
    """Three correlated noisy columns (a shared factor plus independent noise)."""
    random = np.random.RandomState(seed)
    shared = random.randn(TRAIN + TEST, 1)
    return 10.0 + np.hstack([shared * scale + 0.3 * random.randn(TRAIN + TEST, 1) for scale in (1.0, 2.0, -1.0)])


def _score(method: str, params: dict, frame: np.ndarray) -> np.ndarray:
    state = registry.fit(method, params, frame=frame[:TRAIN])
    return np.nonzero(registry.score_frame(method, frame[TRAIN:], COLUMNS, params, state).flags[0])[0]


CUSUM = {"k": 1.0, "h": 20.0, "refractory": 30, "restart": 5}
CALIBRATED = {"quantile": 1.0, "margin": 2.0, "calibration_rows": 100, "persistence": [5, 10], "hold": 60}


def test_cusum_changepoint_pulses_at_a_step_and_its_recovery():
    frame = _frame()
    frame[TRAIN + 100: TRAIN + 200, 0] += 8.0  # a step up in column a, back down 100 points later
    hits = _score("cusum_changepoint", CUSUM, frame)
    assert 100 <= hits[0] <= 105  # nothing before the step
    assert any(200 <= hit <= 205 for hit in hits)
    # The restarted reference (mean of the last 5 points, taken while the step settles) may fire
    # once more inside the step, after the refractory period; never more than that per change.
    assert len(hits) <= 4


def test_cusum_changepoint_pulses_at_a_spike_and_during_a_drift():
    spiked, drifting = _frame(), _frame()
    spiked[TRAIN + 150, 1] += 60.0
    assert 150 in _score("cusum_changepoint", CUSUM, spiked)
    drifting[TRAIN + 100:, 2] += np.linspace(0.0, 15.0, TEST - 100)
    hits = _score("cusum_changepoint", CUSUM, drifting)
    assert len(hits) >= 1 and 100 < hits[0] < 200


def test_cusum_changepoint_quiet_on_noise():
    assert len(_score("cusum_changepoint", CUSUM, _frame(seed=11))) == 0


def test_calibrated_pca_flags_a_step_holds_it_and_is_quiet_on_noise():
    frame = _frame()
    assert len(_score("pca_t2q", CALIBRATED, frame)) == 0
    frame[TRAIN + 100: TRAIN + 150, 0] += 6.0  # breaks the correlation between the columns
    hits = _score("pca_t2q", CALIBRATED, frame)
    assert 100 <= hits[0] <= 110
    assert hits[-1] == 149 + 60  # the hold keeps the alarm 60 points past the last flagged point


def test_persistence_drops_an_isolated_spike_that_a_single_point_rule_flags():
    frame = _frame()
    frame[TRAIN + 150, 0] += 20.0
    assert 150 in _score("pca_t2q", {"quantile": 1.0, "margin": 2.0, "calibration_rows": 100}, frame)
    assert len(_score("pca_t2q", CALIBRATED, frame)) == 0


def test_bad_postprocess_params_name_the_parameter(client):
    body = {"method": "robust_z", "params": {"persistence": [3, 2]}, "series": [{"series_id": "s", "values": [1.0] * 20}]}
    response = client.post("/v1/detect", json=body)
    assert response.status_code == 400 and "params.persistence" in response.text
    body["params"] = {"hold": -1}
    response = client.post("/v1/detect", json=body)
    assert response.status_code == 400 and "params.hold" in response.text


def test_hold_over_the_api_on_a_series(client):
    values = [10.0] * 50
    values[20] = 100.0
    body = {"method": "threshold", "params": {"upper": 50.0, "hold": 3}, "series": [{"series_id": "s", "values": values}]}
    response = client.post("/v1/detect", json=body)
    assert response.status_code == 200, response.text
    assert flagged(response.json()) == [20, 21, 22, 23]
    assert "hold" in response.json()["results"][0]["reasons"][21]


CHANNELS = {"calibration_rows": 100, "margin": 3.0, "persistence": [5, 10], "hold": 20}


def _with_slow_column(seed: int = 5) -> np.ndarray:
    """Two fast noisy columns and one slow column (a temperature drifting upwards)."""
    random = np.random.RandomState(seed)
    points = TRAIN + TEST
    slow = 20.0 + np.linspace(0.0, 0.01 * points, points) + np.cumsum(0.002 * random.randn(points))
    return np.column_stack([10.0 + random.randn(points), 5.0 + 0.5 * random.randn(points), slow])


def test_channel_limits_quiet_on_noise_and_on_a_slow_drift_past_the_training_range():
    frame = _with_slow_column()
    assert frame[TRAIN:, 2].min() > frame[:TRAIN, 2].max()  # the slow column leaves its training range
    assert len(_score("channel_limits", CHANNELS, frame)) == 0


def test_channel_limits_flags_a_step_and_a_fast_change_of_a_slow_column():
    stepped = _with_slow_column()
    stepped[TRAIN + 100: TRAIN + 200, 0] += 10.0
    hits = _score("channel_limits", CHANNELS, stepped)
    # The alarm ends after the step: smoothing (5) + persistence (5 of 10) + hold (20) at most.
    assert 100 <= hits[0] <= 110 and 200 + 20 <= hits[-1] <= 200 + 5 + 5 + 20
    heated = _with_slow_column()
    heated[TRAIN + 150:, 2] += np.linspace(0.0, 15.0, TEST - 150)  # hot water: a fast rise
    hits = _score("channel_limits", CHANNELS, heated)
    assert len(hits) and 150 <= hits[0] <= 170


def test_channel_limits_spike_dropped_by_persistence_but_drift_of_a_fast_column_flagged():
    spiked = _with_slow_column()
    spiked[TRAIN + 120, 1] += 30.0
    assert 120 in _score("channel_limits", {"calibration_rows": 100, "margin": 3.0, "smooth": 1}, spiked)
    assert len(_score("channel_limits", {**CHANNELS, "smooth": 1}, spiked)) == 0
    drifting = _with_slow_column()
    drifting[TRAIN + 100:, 1] += np.linspace(0.0, 10.0, TEST - 100)
    hits = _score("channel_limits", CHANNELS, drifting)
    assert len(hits) and 100 < hits[0] < 250


def test_alarm_changepoints_mark_the_stages_of_an_episode_and_nothing_in_normal_operation():
    frame = _with_slow_column()
    assert len(_score("alarm_changepoints", {}, frame)) == 0  # noise and a slow drift: no change point
    # An episode: a ramp down over 40 points, a plateau, a ramp back up, normal again.
    episode = np.concatenate([np.linspace(0.0, -12.0, 40), np.full(60, -12.0), np.linspace(-12.0, 0.0, 40)])
    frame[TRAIN + 100: TRAIN + 240, 0] += episode
    state = registry.fit("alarm_changepoints", {}, frame=frame[:TRAIN])
    result = registry.score_frame("alarm_changepoints", frame[TRAIN:], COLUMNS, {}, state)
    hits = list(np.nonzero(result.flags[0])[0])
    reasons = [result.reasons[0][hit] for hit in hits]
    assert reasons[0] == "alarm raised" and 100 <= hits[0] < 140  # during the ramp down
    assert reasons[-1] == "alarm cleared" and 240 <= hits[-1] <= 240 + 30
    assert "change while the alarm is raised" in reasons  # the plateau or the recovery ramp


def test_alarm_changepoints_rejects_a_non_object_part(client):
    body = {"method": "alarm_changepoints", "params": {"cusum": 3},
            "frame": {"columns": ["a", "b"], "rows": [[1.0, 2.0]] * 200}}
    response = client.post("/v1/detect", json=body)
    assert response.status_code == 400 and "params.cusum" in response.text
