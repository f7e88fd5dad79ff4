"""Multivariate change-point detector: a two-sided CUSUM per column with restart.

Each column is standardised by the training median and a noise sigma taken from the training
first differences (MAD of the differences / √2, so a slow drift in the training window does not
inflate it). The CUSUM runs from the training level; when either side of any column exceeds `h`
(default 20, in sigma units, slack `k` default 1), the point is a change point, the reference
level restarts at the mean of the last `restart` points (default 5) and the sums reset, so the
next change is measured against the new level. After a change point, further ones are suppressed
for `refractory` points (default 30). Flags are one-point pulses at the detected change points;
the score is the largest CUSUM over `h`, squashed (0.5 at `h`)."""
from __future__ import annotations

from typing import Any

import numpy as np

from .common import MethodError, Scored, param_float, squash

_TINY = 1e-9


def fit_cusum_changepoint(train: np.ndarray, params: dict[str, Any]) -> dict[str, Any]:
    """Training level (median) and noise sigma (from first differences) per column."""
    if train.ndim != 2 or train.shape[0] < 8:
        raise MethodError(f"cusum_changepoint needs at least 8 training points, got {train.shape[0]}")
    differences = np.diff(train, axis=0)
    sigma = 1.4826 * np.median(np.abs(differences - np.median(differences, axis=0)), axis=0) / np.sqrt(2)
    fallback = np.std(train, axis=0)
    sigma = np.where(sigma > _TINY, sigma, np.where(fallback > _TINY, fallback, 1.0))
    return {"center": np.median(train, axis=0), "sigma": sigma}


def cusum_changepoint(rows: np.ndarray, params: dict[str, Any], state: dict[str, Any] | None) -> Scored:
    """Pulses at detected change points (see the module doc); fits on the rows when untrained."""
    if state is None:
        state = fit_cusum_changepoint(rows, params)
    slack, limit = param_float(params, "k", 1.0), param_float(params, "h", 20.0)
    refractory = int(param_float(params, "refractory", 30))
    restart = max(int(param_float(params, "restart", 5)), 1)
    if limit <= 0 or slack < 0 or refractory < 0:
        raise MethodError("params.h must be > 0, params.k and params.refractory >= 0")
    reference, sigma = np.array(state["center"], dtype=float), np.asarray(state["sigma"], dtype=float)
    upper, lower = np.zeros(rows.shape[1]), np.zeros(rows.shape[1])
    peaks = np.zeros(rows.shape[0])
    flags = np.zeros(rows.shape[0], dtype=bool)
    quiet_until = -1
    for point in range(rows.shape[0]):
        standardised = (rows[point] - reference) / sigma
        upper = np.maximum(0.0, upper + standardised - slack)
        lower = np.maximum(0.0, lower - standardised - slack)
        peaks[point] = max(upper.max(), lower.max())
        if peaks[point] <= limit:
            continue
        if point > quiet_until:
            flags[point] = True
            quiet_until = point + refractory
        reference = rows[max(0, point - restart + 1): point + 1].mean(axis=0)
        upper[:], lower[:] = 0.0, 0.0
    reasons = np.where(flags, "CUSUM change point (level shift against the reference)", None).astype(object)
    return Scored(squash(peaks, limit), flags, reasons)
