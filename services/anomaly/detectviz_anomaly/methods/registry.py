"""The method registry: one entry point to fit and score any method on a batch of equal-length
series (array of shape (series, points)) or on a multivariate frame (points, columns).

Univariate methods applied to a frame score each column and keep the worst column per point;
Isolation Forest applied to series uses (value, first difference) features per series; the
ensemble combines the normalised scores of several methods by mean or max."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from . import alarm_changepoints, changepoint, channel_limits, kmeans, multivariate, postprocess, spc, statistical
from .common import ALARM_SCORE, MethodError, Scored

UnivariateScorer = Callable[[np.ndarray, dict[str, Any], "dict[str, Any] | None"], Scored]

UNIVARIATE: dict[str, UnivariateScorer] = {
    "threshold": statistical.threshold,
    "shewhart": spc.shewhart,
    "ewma": spc.ewma,
    "cusum": spc.cusum,
    "robust_z": statistical.robust_z,
    "seasonal": statistical.seasonal,
    "kmeans": kmeans.kmeans,
}
MULTIVARIATE = {"isolation_forest": (multivariate.fit_isolation_forest, multivariate.isolation_forest),
                "pca_t2q": (multivariate.fit_pca_t2q, multivariate.pca_t2q),
                "cusum_changepoint": (changepoint.fit_cusum_changepoint, changepoint.cusum_changepoint),
                "channel_limits": (channel_limits.fit_channel_limits, channel_limits.channel_limits),
                "alarm_changepoints": (alarm_changepoints.fit_alarm_changepoints,
                                       alarm_changepoints.alarm_changepoints)}
FRAME_ONLY = ("pca_t2q", "cusum_changepoint", "channel_limits", "alarm_changepoints")
METHODS: list[str] = sorted([*UNIVARIATE, *MULTIVARIATE, "ensemble"])


def check_method(method: str) -> None:
    """Raise a MethodError naming the allowed methods when `method` is unknown."""
    if method not in METHODS:
        raise MethodError(f"unknown method {method!r}; allowed methods: {', '.join(METHODS)}")


def _series_features(row: np.ndarray) -> np.ndarray:
    return np.column_stack([row, np.diff(row, prepend=row[0])])


def _fit_univariate(method: str, train: np.ndarray, params: dict[str, Any]) -> dict[str, Any]:
    if method == "seasonal":
        return statistical.fit_seasonal(train, params)
    if method == "threshold":
        return {}
    if method == "kmeans":
        return kmeans.fit_kmeans(train, params)
    return statistical.fit_baseline(train, params, robust_default=method == "robust_z" or bool(params.get("robust", True)))


def fit(method: str, params: dict[str, Any], series: np.ndarray | None = None,
        frame: np.ndarray | None = None) -> dict[str, Any]:
    """Fit a model state on a training window: `series` (1, points) or `frame` (points, columns)."""
    check_method(method)
    if method == "ensemble":
        return {"members": {member: fit(member, _member_params(params, member), series, frame)
                            for member in _members(params)}}
    if method in MULTIVARIATE:
        fitter = MULTIVARIATE[method][0]
        if frame is not None:
            return fitter(frame, params)
        if method in FRAME_ONLY:
            raise MethodError(f"method {method} needs a multivariate frame (columns, rows)")
        return fitter(_series_features(series[0]), params)
    data = frame.T if frame is not None else series
    return _fit_univariate(method, data, params)


def _train_points(params: dict[str, Any], available: int) -> int:
    """`params.train_points`: fit on the first N points of the data being scored (0: not set)."""
    raw = params.get("train_points", 0)
    if not isinstance(raw, int) or raw < 0 or raw > available:
        raise MethodError(f"params.train_points must be an integer between 0 and {available}")
    return raw


def _members(params: dict[str, Any]) -> list[str]:
    members = params.get("methods", ["robust_z", "ewma"])
    if not isinstance(members, list) or not members:
        raise MethodError("params.methods must be a non-empty list of method names")
    for member in members:
        check_method(member)
        if member == "ensemble":
            raise MethodError("params.methods cannot contain ensemble")
    return members


def _member_params(params: dict[str, Any], member: str) -> dict[str, Any]:
    per_member = params.get("params", {})
    return dict(per_member.get(member, {})) if isinstance(per_member, dict) else {}


def _combine(results: list[tuple[str, Scored]], how: str) -> Scored:
    stacked = np.stack([result.scores for _, result in results])
    if how not in ("mean", "max"):
        raise MethodError("params.combine must be 'mean' or 'max'")
    scores = stacked.mean(axis=0) if how == "mean" else stacked.max(axis=0)
    flags = scores >= ALARM_SCORE
    reasons = np.full(scores.shape, None, dtype=object)
    for index in zip(*np.nonzero(flags)):
        voters = [name for name, result in results if result.flags[index]]
        reasons[index] = f"ensemble ({how}) of {len(results)}: flagged by {', '.join(voters) or 'combined score'}"
    return Scored(scores, flags, reasons)


def score_series(method: str, values: np.ndarray, params: dict[str, Any],
                 state: dict[str, Any] | None) -> Scored:
    """Score a batch of equal-length series, shape (series, points); `params.persistence` and
    `params.hold` post-process the flags (methods/postprocess.py)."""
    return postprocess.apply(_score_series(method, values, params, state), params)


def score_frame(method: str, rows: np.ndarray, columns: list[str], params: dict[str, Any],
                state: dict[str, Any] | None) -> Scored:
    """Score a multivariate frame (points, columns); the result has shape (1, points)."""
    return postprocess.apply(_score_frame(method, rows, columns, params, state), params)


def _score_series(method: str, values: np.ndarray, params: dict[str, Any],
                  state: dict[str, Any] | None) -> Scored:
    check_method(method)
    if method == "ensemble":
        members = state["members"] if state else {}
        results = [(member, _score_series(member, values, _member_params(params, member), members.get(member)))
                   for member in _members(params)]
        return _combine(results, str(params.get("combine", "mean")))
    if method in FRAME_ONLY:
        raise MethodError(f"method {method} needs a multivariate frame (columns, rows), not series")
    train_points = _train_points(params, values.shape[1]) if state is None else 0
    if method == "isolation_forest":
        parts = [multivariate.isolation_forest(
            _series_features(row), params,
            fit(method, params, series=row[None, :train_points]) if train_points else state) for row in values]
        return Scored(np.stack([p.scores for p in parts]), np.stack([p.flags for p in parts]),
                      np.stack([p.reasons for p in parts]))
    if state and "center" in state and np.asarray(state["center"]).shape[0] not in (1, values.shape[0]):
        raise MethodError("the model was trained on a different number of series or columns")
    if train_points:
        state = _fit_univariate(method, values[:, :train_points], params)
    return UNIVARIATE[method](values, params, state)


def _score_frame(method: str, rows: np.ndarray, columns: list[str], params: dict[str, Any],
                 state: dict[str, Any] | None) -> Scored:
    check_method(method)
    if method == "ensemble":
        members = state["members"] if state else {}
        results = [(member, _score_frame(member, rows, columns, _member_params(params, member), members.get(member)))
                   for member in _members(params)]
        return _combine(results, str(params.get("combine", "mean")))
    if method in MULTIVARIATE:
        train_points = _train_points(params, rows.shape[0]) if state is None else 0
        if train_points:
            state = fit(method, params, frame=rows[:train_points])
        result = MULTIVARIATE[method][1](rows, params, state)
        return Scored(result.scores[None, :], result.flags[None, :], result.reasons[None, :])
    per_column = _score_series(method, rows.T, params, state)
    worst = np.argmax(per_column.scores, axis=0)
    points = np.arange(rows.shape[0])
    flags = per_column.flags.any(axis=0)
    reasons = np.full(rows.shape[0], None, dtype=object)
    for point in np.nonzero(flags)[0]:
        column = worst[point] if per_column.flags[worst[point], point] else int(np.argmax(per_column.flags[:, point]))
        reasons[point] = f"{columns[column]}: {per_column.reasons[column, point]}"
    scores = per_column.scores[worst, points]
    return Scored(scores[None, :], flags[None, :], reasons[None, :])
