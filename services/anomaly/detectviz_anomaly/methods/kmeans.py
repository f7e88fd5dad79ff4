"""Per-metric k-means with a consensus of several models, after Netdata's ML design: each value
becomes a feature vector of its first difference, smoothed by a trailing mean and lagged
(`lags` previous smoothed differences); a k-means model (k=2) is trained per metric on each of
several training windows (the whole window, its last 2/3, its last 1/3, ...), its limit being the
`quantile` (default 0.99) of training distances to the nearest centroid. A point is anomalous only
when every model agrees (consensus), so its score is the least anomalous model's score."""
from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.cluster import KMeans

from .common import MethodError, Scored, param_float, reasons_from_codes, squash

_TINY = 1e-9


def features(row: np.ndarray, smooth: int, lags: int) -> np.ndarray:
    """(points, lags + 1) matrix of lagged, smoothed differences; early points repeat the edge."""
    differences = np.diff(row, prepend=row[0])
    padded = np.concatenate([np.full(smooth - 1, differences[0]), differences])
    smoothed = sliding_window_view(padded, smooth).mean(axis=1)
    lagged = np.concatenate([np.full(lags, smoothed[0]), smoothed])
    return sliding_window_view(lagged, lags + 1)[:, ::-1]


def _settings(params: dict[str, Any]) -> tuple[int, int, int, float]:
    smooth = int(param_float(params, "smooth", 3))
    lags = int(param_float(params, "lags", 5))
    models = int(param_float(params, "models", 3))
    if smooth < 1 or lags < 0 or models < 1:
        raise MethodError("params.smooth >= 1, params.lags >= 0 and params.models >= 1 are required")
    return smooth, lags, models, param_float(params, "quantile", 0.99)


def _nearest_distance(points: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    return np.min(np.linalg.norm(points[:, None, :] - centroids[None, :, :], axis=2), axis=1)


def fit_kmeans(train: np.ndarray, params: dict[str, Any]) -> dict[str, Any]:
    """State: for each series (row of `train`), a list of (centroids, limit) models."""
    smooth, lags, models, quantile = _settings(params)
    minimum = 3 * (smooth + lags) + 2
    if train.shape[1] < minimum:
        raise MethodError(f"kmeans needs at least {minimum} training points, got {train.shape[1]}")
    per_series = []
    for row in train:
        matrix = features(row, smooth, lags)
        ensemble = []
        for model in range(models):
            window = matrix[int(len(matrix) * model / models):]
            clusters = KMeans(n_clusters=2, n_init=3, random_state=0).fit(window)
            distances = _nearest_distance(window, clusters.cluster_centers_)
            ensemble.append((clusters.cluster_centers_, max(float(np.quantile(distances, quantile)), _TINY)))
        per_series.append(ensemble)
    return {"kmeans": per_series}


def kmeans(values: np.ndarray, params: dict[str, Any], state: dict[str, Any] | None) -> Scored:
    """Consensus k-means scores; without a model, fits on the data itself."""
    smooth, lags, _, _ = _settings(params)
    state = state if state is not None and "kmeans" in state else fit_kmeans(values, params)
    trained = state["kmeans"]
    if len(trained) not in (1, values.shape[0]):
        raise MethodError("the model was trained on a different number of series or columns")
    ratios = np.empty_like(values, dtype=float)
    for index, row in enumerate(values):
        matrix = features(row, smooth, lags)
        ensemble = trained[index if len(trained) > 1 else 0]
        ratios[index] = np.min([_nearest_distance(matrix, centroids) / limit for centroids, limit in ensemble], axis=0)
    flags = ratios > 1.0
    reasons = reasons_from_codes(flags.astype(np.int8), [None, "k-means consensus: unusual pattern of recent changes"])
    return Scored(squash(ratios, 1.0), flags, reasons)
