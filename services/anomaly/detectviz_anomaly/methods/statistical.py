"""Univariate statistical detectors over a (series, points) array: fixed thresholds, robust
z-score (median/MAD, Iglewicz-Hoaglin) and seasonal decomposition (STL residuals, statsmodels)."""
from __future__ import annotations

from typing import Any

import numpy as np
from statsmodels.tsa.seasonal import STL

from .common import MethodError, Scored, baseline_for, param_float, reasons_from_codes, robust_baseline, squash


def threshold(values: np.ndarray, params: dict[str, Any], state: dict[str, Any] | None) -> Scored:
    """Static limits; params: `upper` and/or `lower`. A point beyond a limit scores at least 0.5,
    growing with the excess relative to the limit's magnitude; inside the limits the score is 0."""
    if "upper" not in params and "lower" not in params:
        raise MethodError("params.upper or params.lower is required for method threshold")
    upper = param_float(params, "upper", np.inf)
    lower = param_float(params, "lower", -np.inf)
    scale_upper = max(abs(upper), 1.0) if np.isfinite(upper) else 1.0
    scale_lower = max(abs(lower), 1.0) if np.isfinite(lower) else 1.0
    excess = np.maximum((values - upper) / scale_upper, (lower - values) / scale_lower)
    flags = excess > 0
    scores = np.where(flags, 0.5 + 0.5 * squash(excess, 0.1), 0.0)
    codes = np.where(flags, np.where(values > upper, 1, 2), 0)
    reasons = reasons_from_codes(codes, [None, f"above upper threshold {upper:g}", f"below lower threshold {lower:g}"])
    return Scored(np.clip(scores, 0.0, 1.0), flags, reasons)


def robust_z(values: np.ndarray, params: dict[str, Any], state: dict[str, Any] | None) -> Scored:
    """Modified z-score |x - median| / (1.4826 MAD); params: `threshold` (default 3.5)."""
    limit = param_float(params, "threshold", 3.5)
    center, sigma = baseline_for(values, state, {**params, "robust": True})
    z = (values - center) / sigma
    flags = np.abs(z) > limit
    codes = np.where(flags, np.where(z > 0, 1, 2), 0)
    reasons = reasons_from_codes(codes, [None, f"robust z-score above {limit:g}", f"robust z-score below -{limit:g}"])
    return Scored(squash(z, limit), flags, reasons)


def _stl_residuals(row: np.ndarray, period: int, params: dict[str, Any]) -> np.ndarray:
    smoother = int(param_float(params, "seasonal_smoother", 7)) | 1  # STL needs an odd length
    return STL(row, period=period, seasonal=max(smoother, 3), robust=bool(params.get("robust", False))).fit().resid


def seasonal(values: np.ndarray, params: dict[str, Any], state: dict[str, Any] | None) -> Scored:
    """STL decomposition per series, then a robust z-score of the residuals; params: `period`
    (points per season, required), `threshold` (default 3.5), `robust` (robust STL fitting,
    default false: robust STL gives heavy-tailed residuals), `seasonal_smoother` (odd, default 7)."""
    if "period" not in params:
        raise MethodError("params.period (points per season) is required for method seasonal")
    period = int(param_float(params, "period", 0))
    limit = param_float(params, "threshold", 3.5)
    if period < 2 or values.shape[1] < 2 * period:
        raise MethodError(f"params.period must be >= 2 and the series at least 2 periods long (period {period}, points {values.shape[1]})")
    residuals = np.vstack([_stl_residuals(row, period, params) for row in values])
    if state is not None and "residual_sigma" in state:
        center, sigma = np.zeros((values.shape[0], 1)), np.asarray(state["residual_sigma"], dtype=float)
    else:
        center, sigma = robust_baseline(residuals)
    z = (residuals - center) / sigma
    flags = np.abs(z) > limit
    codes = np.where(flags, np.where(z > 0, 1, 2), 0)
    reasons = reasons_from_codes(codes, [None, "seasonal residual above expected", "seasonal residual below expected"])
    return Scored(squash(z, limit), flags, reasons)


def fit_seasonal(train: np.ndarray, params: dict[str, Any]) -> dict[str, Any]:
    """Residual sigma of the training window, used in place of the data's own spread."""
    scored_state: dict[str, Any] = {}
    period = int(param_float(params, "period", 0))
    if period < 2 or train.shape[1] < 2 * period:
        raise MethodError("params.period must be >= 2 and the training window at least 2 periods long")
    residuals = np.vstack([_stl_residuals(row, period, params) for row in train])
    scored_state["residual_sigma"] = robust_baseline(residuals)[1]
    return scored_state


def fit_baseline(train: np.ndarray, params: dict[str, Any], robust_default: bool) -> dict[str, Any]:
    """Centre/sigma state for SPC and robust z models."""
    center, sigma = baseline_for(train, None, {k: v for k, v in params.items() if k not in ("center", "sigma")},
                                 robust_default=robust_default)
    return {"center": center, "sigma": sigma}
