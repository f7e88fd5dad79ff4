"""Request handling independent of HTTP: turns validated requests into arrays, calls the method
registry, and builds responses; trains and reconfigures models in the `ModelStore`."""
from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime, timezone
from typing import Any

import numpy as np

from .methods import registry
from .methods.common import MethodError, Scored
from .schemas import ConfigUpdate, DetectRequest, DetectResponse, ModelInfo, SeriesResult, TrainRequest
from .store import ModelStore, StoredModel


class NotFound(LookupError):
    """No model with this id (becomes HTTP 404)."""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _result(series_id: str, timestamps: list[Any] | None, scored: Scored, row: int) -> SeriesResult:
    return SeriesResult.model_construct(
        series_id=series_id, timestamps=timestamps,
        scores=np.round(scored.scores[row], 6).tolist(), flags=scored.flags[row].tolist(),
        reasons=scored.reasons[row].tolist())


def detect(request: DetectRequest, store: ModelStore) -> DetectResponse:
    """Score every series (grouped by length, each group in one vectorised call) or the frame."""
    method, params, state, model = request.method, dict(request.params), None, None
    if request.model_id is not None:
        model = store.get(request.model_id)
        if model is None:
            raise NotFound(f"no model {request.model_id!r}")
        method = model.metadata["method"]
        params = {**model.metadata["params"], **request.params}
        state = model.state
    assert method is not None
    registry.check_method(method)
    if request.frame is not None:
        if model is not None and model.metadata.get("columns") not in (None, request.frame.columns):
            raise MethodError(f"frame columns must be {model.metadata['columns']} for model {request.model_id!r}")
        rows = np.asarray(request.frame.rows, dtype=float)
        scored = registry.score_frame(method, rows, request.frame.columns, params, state)
        results = [_result(request.frame.frame_id, request.frame.timestamps, scored, 0)]
    else:
        assert request.series is not None
        by_length: dict[int, list[int]] = defaultdict(list)
        for index, series in enumerate(request.series):
            by_length[len(series.values)].append(index)
        results_by_index: dict[int, SeriesResult] = {}
        for indices in by_length.values():
            values = np.array([request.series[i].values for i in indices], dtype=float)
            scored = registry.score_series(method, values, params, state)
            for row, index in enumerate(indices):
                series = request.series[index]
                results_by_index[index] = _result(series.series_id, series.timestamps, scored, row)
        results = [results_by_index[i] for i in range(len(request.series))]
    return DetectResponse(method=method, model_id=request.model_id,
                          version=model.metadata["version"] if model else None, results=results)


def _quality(method: str, params: dict[str, Any], state: dict[str, Any], series: np.ndarray | None,
             frame: np.ndarray | None, columns: list[str] | None, labels: list[int] | None) -> dict[str, float]:
    if frame is not None:
        scored = registry.score_frame(method, frame, columns or [], params, state)
    else:
        scored = registry.score_series(method, series, params, state)
    flags = scored.flags[0]
    quality = {"train_points": float(flags.size), "train_alarm_rate": float(flags.mean())}
    if labels is not None and len(labels) == flags.size:
        truth = np.asarray(labels, dtype=bool)
        tp, fp, fn = float(np.sum(flags & truth)), float(np.sum(flags & ~truth)), float(np.sum(~flags & truth))
        quality["f1"] = tp / (tp + (fp + fn) / 2) if tp + fp + fn else 1.0
        quality["precision"] = tp / (tp + fp) if tp + fp else 0.0
        quality["recall"] = tp / (tp + fn) if tp + fn else 0.0
    return quality


def train(request: TrainRequest, store: ModelStore) -> tuple[str, int]:
    """Fit, evaluate on the window, persist a new version; returns (model_id, version)."""
    registry.check_method(request.method)
    series = frame = None
    columns = None
    if request.frame is not None:
        frame, columns = np.asarray(request.frame.rows, dtype=float), request.frame.columns
    else:
        assert request.series is not None
        series = np.asarray([request.series[0].values], dtype=float)
    if request.labels is not None and len(request.labels) != (len(frame) if frame is not None else series.shape[1]):
        raise MethodError("labels must have one value per training point")
    state = registry.fit(request.method, request.params, series=series, frame=frame)
    quality = _quality(request.method, request.params, state, series, frame, columns, request.labels)
    model_id = request.model_id or f"{request.method}-{uuid.uuid4().hex[:12]}"
    previous = store.get(model_id)
    now = _now()
    metadata = {
        "model_id": model_id, "name": request.name, "method": request.method, "params": request.params,
        "version": previous.metadata["version"] + 1 if previous else 1,
        "kind": "frame" if frame is not None else "series", "columns": columns,
        "created_at": previous.metadata["created_at"] if previous else now, "updated_at": now,
        "quality": quality,
    }
    store.save(metadata, state)
    return model_id, metadata["version"]


def model_info(model_id: str, store: ModelStore) -> ModelInfo:
    model = store.get(model_id)
    if model is None:
        raise NotFound(f"no model {model_id!r}")
    return ModelInfo(**model.metadata)


def update_config(model_id: str, update: ConfigUpdate, store: ModelStore) -> ModelInfo:
    """Merge params (scoring-time params such as limits, rules, combine), bump the version."""
    model: StoredModel | None = store.get(model_id)
    if model is None:
        raise NotFound(f"no model {model_id!r}")
    metadata = dict(model.metadata)
    metadata["params"] = {**metadata["params"], **update.params}
    if update.name:
        metadata["name"] = update.name
    metadata["version"] += 1
    metadata["updated_at"] = _now()
    store.save(metadata, model.state)
    return ModelInfo(**metadata)
