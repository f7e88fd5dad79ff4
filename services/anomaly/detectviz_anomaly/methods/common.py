"""Shared building blocks for the detectors: the `Scored` result, the score squashing function,
baselines (centre and spread) and rolling counts, all vectorised over a (series, points) array."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

# A statistic equal to its alarm limit maps to this score; flags are `score >= ALARM_SCORE`.
ALARM_SCORE = 0.5
_TINY = 1e-9


class MethodError(ValueError):
    """A detector cannot run with the given data or parameters (becomes HTTP 400)."""


@dataclass
class Scored:
    """Per-point result of a detector over an array of shape (series, points)."""

    scores: np.ndarray  # float in [0, 1]
    flags: np.ndarray  # bool
    reasons: np.ndarray  # object array: str for flagged points, None elsewhere


def squash(statistic: np.ndarray, limit: float | np.ndarray) -> np.ndarray:
    """Map a non-negative statistic to [0, 1) so that `statistic == limit` gives 0.5."""
    ratio = np.abs(statistic) / np.maximum(limit, _TINY)
    return ratio / (1.0 + ratio)


def reasons_from_codes(codes: np.ndarray, table: list[str | None]) -> np.ndarray:
    """Turn an integer code array into an object array of reason strings (code 0 means none)."""
    lookup = np.array(table, dtype=object)
    return lookup[codes]


def robust_baseline(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Median and MAD-based sigma per row of a (series, points) array, shaped (series, 1)."""
    center = np.nanmedian(values, axis=1, keepdims=True)
    mad = np.nanmedian(np.abs(values - center), axis=1, keepdims=True)
    sigma = 1.4826 * mad
    fallback = np.nanstd(values, axis=1, keepdims=True)
    sigma = np.where(sigma > _TINY, sigma, fallback)
    return center, np.maximum(sigma, _TINY)


def classic_baseline(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation per row, shaped (series, 1)."""
    center = np.nanmean(values, axis=1, keepdims=True)
    sigma = np.nanstd(values, axis=1, ddof=1 if values.shape[1] > 1 else 0, keepdims=True)
    return center, np.maximum(sigma, _TINY)


def baseline_state(train: np.ndarray, robust: bool) -> dict[str, Any]:
    """Fit a centre/sigma baseline on a (series, points) training window."""
    center, sigma = robust_baseline(train) if robust else classic_baseline(train)
    return {"center": center, "sigma": sigma}


def baseline_for(values: np.ndarray, state: dict[str, Any] | None, params: dict[str, Any],
                 robust_default: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Centre and sigma to use: from a trained state, explicit params, or the data itself."""
    if state is not None and "center" in state:
        return np.asarray(state["center"], dtype=float), np.asarray(state["sigma"], dtype=float)
    if "center" in params and "sigma" in params:
        center = np.full((values.shape[0], 1), float(params["center"]))
        sigma = np.full((values.shape[0], 1), max(float(params["sigma"]), _TINY))
        return center, sigma
    fitted = baseline_state(values, robust=bool(params.get("robust", robust_default)))
    return fitted["center"], fitted["sigma"]


def rolling_count(mask: np.ndarray, window: int) -> np.ndarray:
    """Number of true values in the trailing window ending at each point (axis 1)."""
    counts = np.cumsum(mask.astype(np.int32), axis=1)
    shifted = np.zeros_like(counts)
    if window < mask.shape[1]:
        shifted[:, window:] = counts[:, :-window]
    return counts - shifted


def param_float(params: dict[str, Any], name: str, default: float) -> float:
    """Read a float parameter, with an error naming it when it is not a number."""
    raw = params.get(name, default)
    try:
        return float(raw)
    except (TypeError, ValueError) as error:
        raise MethodError(f"params.{name} must be a number, got {raw!r}") from error
