"""Statistical process control detectors, vectorised across series with numpy:
Shewhart individuals chart with Western Electric rules 1-4 (plus Nelson rule 3, a trend of six),
EWMA with time-varying control limits, and tabular two-sided CUSUM.

All take `values` of shape (series, points) and a centre/sigma baseline per series (from a trained
model, from params `center`/`sigma`, or estimated robustly from the data itself)."""
from __future__ import annotations

from typing import Any

import numpy as np
from scipy.signal import lfilter

from .common import ALARM_SCORE, MethodError, Scored, baseline_for, param_float, reasons_from_codes, rolling_count, squash

WE_REASONS: list[str | None] = [
    None,
    "WE rule 1: point beyond 3 sigma",
    "WE rule 2: 2 of 3 points beyond 2 sigma on one side",
    "WE rule 3: 4 of 5 points beyond 1 sigma on one side",
    "WE rule 4: 8 points in a row on one side of the centre",
    "Nelson rule 3: 6 points in a row steadily rising or falling",
]


def western_electric_rules(z: np.ndarray, nelson: bool = False) -> np.ndarray:
    """Code of the first rule that fires at each point (0 if none) for standardised values z.

    A rule fires on the last point of its pattern, so detection is causal."""
    codes = np.zeros(z.shape, dtype=np.int8)
    above, below = z > 0, z < 0
    patterns = [
        (1, np.abs(z) > 3.0),
        (2, (rolling_count(z > 2.0, 3) >= 2) & above | (rolling_count(z < -2.0, 3) >= 2) & below),
        (3, (rolling_count(z > 1.0, 5) >= 4) & above | (rolling_count(z < -1.0, 5) >= 4) & below),
        (4, (rolling_count(above, 8) >= 8) | (rolling_count(below, 8) >= 8)),
    ]
    if nelson:
        steps = np.diff(z, axis=1, prepend=z[:, :1])
        rising = np.zeros(z.shape, dtype=bool)
        falling = np.zeros(z.shape, dtype=bool)
        rising[:, 1:], falling[:, 1:] = steps[:, 1:] > 0, steps[:, 1:] < 0
        patterns.append((5, (rolling_count(rising, 5) >= 5) | (rolling_count(falling, 5) >= 5)))
    for code, fired in reversed(patterns):  # lowest rule number wins
        codes[fired] = code
    return codes


def shewhart(values: np.ndarray, params: dict[str, Any], state: dict[str, Any] | None) -> Scored:
    """Shewhart individuals chart; params: `rules` (list of 1-4, default all), `nelson` (bool)."""
    center, sigma = baseline_for(values, state, params)
    z = (values - center) / sigma
    codes = western_electric_rules(z, nelson=bool(params.get("nelson", False)))
    enabled = set(int(rule) for rule in params.get("rules", [1, 2, 3, 4])) | ({5} if params.get("nelson") else set())
    codes = np.where(np.isin(codes, list(enabled)), codes, 0).astype(np.int8)
    flags = codes > 0
    scores = squash(z, 3.0)
    scores = np.where(flags, np.maximum(scores, ALARM_SCORE + 0.05), np.minimum(scores, ALARM_SCORE - 1e-6))
    return Scored(scores, flags, reasons_from_codes(codes, WE_REASONS))


def ewma(values: np.ndarray, params: dict[str, Any], state: dict[str, Any] | None) -> Scored:
    """EWMA chart; params: `lambda` (0 < λ <= 1, default 0.2), `L` (limit width, default 3)."""
    smoothing = param_float(params, "lambda", 0.2)
    width = param_float(params, "L", 3.0)
    if not 0.0 < smoothing <= 1.0:
        raise MethodError("params.lambda must be in (0, 1]")
    center, sigma = baseline_for(values, state, params)
    deviation = values - center
    statistic = lfilter([smoothing], [1.0, -(1.0 - smoothing)], deviation, axis=1)
    steps = np.arange(1, values.shape[1] + 1)
    spread = sigma * np.sqrt(smoothing / (2.0 - smoothing) * (1.0 - (1.0 - smoothing) ** (2 * steps)))
    ratio = np.abs(statistic) / spread
    flags = ratio > width
    codes = np.where(flags, np.where(statistic > 0, 1, 2), 0)
    reasons = reasons_from_codes(codes, [None, "EWMA above upper control limit", "EWMA below lower control limit"])
    return Scored(squash(ratio, width), flags, reasons)


def cusum(values: np.ndarray, params: dict[str, Any], state: dict[str, Any] | None) -> Scored:
    """Tabular CUSUM in sigma units; params: `k` (slack, default 0.5), `h` (decision, default 5)."""
    slack = param_float(params, "k", 0.5)
    decision = param_float(params, "h", 5.0)
    center, sigma = baseline_for(values, state, params)
    z = (values - center) / sigma
    upper = np.empty_like(z)
    lower = np.empty_like(z)
    running_upper = np.zeros(z.shape[0])
    running_lower = np.zeros(z.shape[0])
    for step in range(z.shape[1]):  # a loop over time; each step is vectorised across series
        running_upper = np.maximum(0.0, running_upper + z[:, step] - slack)
        running_lower = np.maximum(0.0, running_lower - z[:, step] - slack)
        upper[:, step], lower[:, step] = running_upper, running_lower
    statistic = np.maximum(upper, lower)
    flags = statistic > decision
    codes = np.where(flags, np.where(upper >= lower, 1, 2), 0)
    reasons = reasons_from_codes(codes, [None, "CUSUM upward shift", "CUSUM downward shift"])
    return Scored(squash(statistic, decision), flags, reasons)
