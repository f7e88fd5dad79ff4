"""Per-channel limits calibrated on held-out training rows, with slow channels watched on their
rate of change (`channel_limits`, frames only).

Fit: the first rows of the training window (all but the last `calibration_rows`, default 100)
give, per column, a robust level (median) and scale (MAD·1.4826, the standard deviation when the
MAD is 0, as for quantised sensors), and the same for the first differences. A column whose
lag-1 autocorrelation on those rows is at least `slow_autocorrelation` (default 0.9) is *slow*
(a temperature, an integrating level): its absolute level is expected to wander in normal
operation, so it is scored on its rate of change, |rolling mean over `rate_smooth` (10) points
of the standardised first difference|. Other columns are scored on their level: |rolling mean
over `smooth` (5) points of the robust z|, or with `median: true` |rolling median| (robust to
isolated dropouts). The limit of each column is `margin` (default 3) × the largest statistic on
the held-out calibration rows, never below `floor` (default 0). A point is flagged when any
column is above its limit; the score is the worst column's statistic over its limit, squashed
(0.5 at the limit). Combine with `persistence` and `hold` (methods/postprocess.py)."""
from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .common import MethodError, Scored, param_float, squash

_TINY = 1e-9


def _rolling_mean(values: np.ndarray, window: int) -> np.ndarray:
    """Trailing mean along axis 0 (shorter windows at the start)."""
    if window <= 1:
        return values
    sums = np.cumsum(np.vstack([np.zeros((1, values.shape[1])), values]), axis=0)
    ends = np.arange(1, values.shape[0] + 1)
    starts = np.maximum(ends - window, 0)
    return (sums[ends] - sums[starts]) / (ends - starts)[:, None]


def _rolling_median(values: np.ndarray, window: int) -> np.ndarray:
    """Trailing median along axis 0 (the first value repeated before the start)."""
    if window <= 1:
        return values
    padded = np.vstack([np.repeat(values[:1], window - 1, axis=0), values])
    return np.median(sliding_window_view(padded, window, axis=0), axis=2)


def _robust_scale(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    center = np.median(values, axis=0)
    scale = 1.4826 * np.median(np.abs(values - center), axis=0)
    fallback = values.std(axis=0)
    scale = np.where(scale > _TINY, scale, np.where(fallback > _TINY, fallback, 1.0))
    return center, scale


def _lag1_autocorrelation(values: np.ndarray) -> np.ndarray:
    result = np.zeros(values.shape[1])
    for column in range(values.shape[1]):
        series = values[:, column]
        if series[:-1].std() > _TINY and series[1:].std() > _TINY:
            result[column] = np.corrcoef(series[:-1], series[1:])[0, 1]
    return result


def _statistics(rows: np.ndarray, state: dict[str, Any], params: dict[str, Any]) -> np.ndarray:
    """Per-point, per-column statistic (level for fast columns, rate of change for slow ones)."""
    smooth = int(param_float(params, "smooth", 5))
    rate_smooth = int(param_float(params, "rate_smooth", 10))
    level = (rows - state["center"]) / state["scale"]
    level = np.abs(_rolling_median(level, smooth) if params.get("median", False) else _rolling_mean(level, smooth))
    differences = np.diff(rows, axis=0, prepend=rows[:1])
    rate = np.abs(_rolling_mean((differences - state["rate_center"]) / state["rate_scale"], rate_smooth))
    return np.where(state["slow"][None, :], rate, level)


def fit_channel_limits(train: np.ndarray, params: dict[str, Any]) -> dict[str, Any]:
    calibration_rows = int(param_float(params, "calibration_rows", 100))
    if train.ndim != 2 or calibration_rows < 1 or train.shape[0] - calibration_rows < 8:
        raise MethodError(f"channel_limits needs params.calibration_rows >= 1 and at least 8 rows before them; "
                          f"got {calibration_rows} of {train.shape[0] if train.ndim == 2 else 0} rows")
    fit_rows, calibration = train[:-calibration_rows], train[-calibration_rows:]
    center, scale = _robust_scale(fit_rows)
    rate_center, rate_scale = _robust_scale(np.diff(fit_rows, axis=0))
    slow = _lag1_autocorrelation(fit_rows) >= param_float(params, "slow_autocorrelation", 0.9)
    state: dict[str, Any] = {"center": center, "scale": scale, "rate_center": rate_center,
                             "rate_scale": rate_scale, "slow": slow}
    margin, floor = param_float(params, "margin", 3.0), param_float(params, "floor", 0.0)
    state["limits"] = np.maximum(_statistics(calibration, state, params).max(axis=0) * margin, max(floor, _TINY))
    return state


def channel_limits(rows: np.ndarray, params: dict[str, Any], state: dict[str, Any] | None) -> Scored:
    """Score rows against the calibrated per-column limits (fits on the rows when untrained)."""
    if state is None:
        state = fit_channel_limits(rows, params)
    if rows.shape[1] != state["limits"].shape[0]:
        raise MethodError(f"the model has {state['limits'].shape[0]} columns, the frame {rows.shape[1]}")
    ratio = _statistics(rows, state, params) / state["limits"]
    worst = np.argmax(ratio, axis=1)
    worst_ratio = ratio[np.arange(rows.shape[0]), worst]
    flags = worst_ratio > 1.0
    reasons = np.full(rows.shape[0], None, dtype=object)
    for point in np.nonzero(flags)[0]:
        kind = "rate of change" if state["slow"][worst[point]] else "level"
        reasons[point] = f"column {int(worst[point])}: {kind} {worst_ratio[point]:.1f} × its calibrated limit"
    return Scored(squash(worst_ratio, 1.0), flags, reasons)
