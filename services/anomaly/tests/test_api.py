"""HTTP API: health and OpenAPI, train → model info → detect with the model, persistence and
reload by a new app instance, config updates, and bad input errors naming the field."""
from __future__ import annotations

import numpy as np
from fastapi.testclient import TestClient

from detectviz_anomaly.app import create_app
from tests.conftest import flagged, noise


def test_healthz_and_openapi(client):
    health = client.get("/healthz").json()
    assert health["status"] == "ok" and "pca_t2q" in health["methods"]
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/v1/detect", "/v1/train", "/v1/models/{model_id}", "/v1/models/{model_id}/config"} <= set(paths)


def _frame(rows: np.ndarray) -> dict:
    return {"columns": ["a", "b", "c"], "rows": rows.tolist()}


def _correlated(points: int, seed: int) -> np.ndarray:
    random = np.random.RandomState(seed)
    base = random.randn(points)
    return np.column_stack([base, 2 * base + 0.05 * random.randn(points), -base + 0.05 * random.randn(points)])


def test_train_get_detect_persist_and_reload(client, models_dir):
    trained = client.post("/v1/train", json={"name": "pump group", "method": "pca_t2q",
                                             "params": {"quantile": 1.0, "margin": 1.5},
                                             "frame": _frame(_correlated(200, 1))})
    assert trained.status_code == 200, trained.text
    model_id, version = trained.json()["model_id"], trained.json()["version"]
    assert version == 1
    info = client.get(f"/v1/models/{model_id}").json()
    assert info["name"] == "pump group" and info["method"] == "pca_t2q" and info["updated_at"]
    assert info["quality"]["train_alarm_rate"] == 0.0 and info["columns"] == ["a", "b", "c"]

    test_rows = _correlated(100, 2)
    test_rows[40, 2] = 3 * test_rows[40, 0]
    detected = client.post("/v1/detect", json={"model_id": model_id, "frame": _frame(test_rows)})
    assert detected.status_code == 200 and flagged(detected.json()) == [40]
    assert detected.json()["version"] == 1 and detected.json()["method"] == "pca_t2q"

    assert (models_dir / model_id / "v1.joblib").exists() and (models_dir / model_id / "v1.json").exists()
    reloaded = TestClient(create_app(models_dir))
    assert reloaded.get(f"/v1/models/{model_id}").json()["version"] == 1
    again = reloaded.post("/v1/detect", json={"model_id": model_id, "frame": _frame(test_rows)})
    assert again.json()["results"][0]["scores"] == detected.json()["results"][0]["scores"]


def test_series_model_retrain_bumps_version_and_config_update(client, models_dir):
    body = {"name": "pressure", "method": "ewma", "model_id": "pressure-ewma",
            "series": [{"series_id": "p", "values": noise(200).tolist()}], "labels": [0] * 200}
    first = client.post("/v1/train", json=body).json()
    second = client.post("/v1/train", json=body).json()
    assert (first["version"], second["version"]) == (1, 2)
    assert client.get("/v1/models/pressure-ewma").json()["quality"]["train_alarm_rate"] == 0.0

    shifted = noise(100, seed=4)
    shifted[50:] += 1.5
    detect = {"model_id": "pressure-ewma", "series": [{"series_id": "p", "values": shifted.tolist()}]}
    hits = flagged(client.post("/v1/detect", json=detect).json())
    assert hits and hits[0] >= 50

    updated = client.put("/v1/models/pressure-ewma/config", json={"params": {"L": 50}})
    assert updated.status_code == 200 and updated.json()["version"] == 3 and updated.json()["params"]["L"] == 50
    assert flagged(client.post("/v1/detect", json=detect).json()) == []
    assert TestClient(create_app(models_dir)).get("/v1/models/pressure-ewma").json()["version"] == 3


def test_bad_method_is_400_naming_allowed_methods(client):
    response = client.post("/v1/detect", json={"method": "magic", "series": [{"series_id": "s", "values": [1, 2]}]})
    assert response.status_code == 400
    assert "magic" in response.json()["detail"] and "shewhart" in response.json()["detail"]


def test_validation_errors_name_the_field(client):
    missing_values = client.post("/v1/detect", json={"method": "ewma", "series": [{"series_id": "s"}]})
    assert missing_values.status_code == 422
    assert missing_values.json()["detail"][0]["loc"][-1] == "values"

    not_a_number = client.post("/v1/detect", json={"method": "ewma", "series": [{"series_id": "s", "values": [1, "x"]}]})
    assert not_a_number.status_code == 422
    assert not_a_number.json()["detail"][0]["loc"] == ["body", "series", 0, "values", 1]

    nan = client.post("/v1/detect", json={"method": "ewma", "series": [{"series_id": "s", "values": [1, "NaN"]}]})
    assert nan.status_code == 422 and nan.json()["detail"][0]["loc"] == ["body", "series", 0, "values", 1]

    ragged = client.post("/v1/detect", json={"method": "pca_t2q", "frame": {"columns": ["a", "b"], "rows": [[1, 2], [3]]}})
    assert ragged.status_code == 422 and "rows[1]" in ragged.text

    both = client.post("/v1/detect", json={"method": "ewma"})
    assert both.status_code == 422 and "exactly one of series" in both.text


def test_method_errors_are_400(client):
    no_limits = client.post("/v1/detect", json={"method": "threshold", "series": [{"series_id": "s", "values": [1, 2]}]})
    assert no_limits.status_code == 400 and "params.upper" in no_limits.json()["detail"]
    pca_on_series = client.post("/v1/detect", json={"method": "pca_t2q", "series": [{"series_id": "s", "values": [1, 2]}]})
    assert pca_on_series.status_code == 400 and "frame" in pca_on_series.json()["detail"]
    bad_lambda = client.post("/v1/detect", json={"method": "ewma", "params": {"lambda": "fast"},
                                                  "series": [{"series_id": "s", "values": [1, 2]}]})
    assert bad_lambda.status_code == 400 and "params.lambda" in bad_lambda.json()["detail"]


def test_unknown_model_is_404(client):
    assert client.get("/v1/models/nope").status_code == 404
    assert client.put("/v1/models/nope/config", json={"params": {}}).status_code == 404
    response = client.post("/v1/detect", json={"model_id": "nope", "series": [{"series_id": "s", "values": [1.0]}]})
    assert response.status_code == 404
