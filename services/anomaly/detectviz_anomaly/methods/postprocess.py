"""Alarm post-processing shared by every method, driven by two optional params:

* `persistence`: `[k, n]`, keep a flag only when at least k of the last n points (trailing
  window, the point itself included) are flagged: a k-of-n alarm rule that drops isolated blips;
* `hold`: keep the alarm raised for this many points after the last flagged point (a post-alarm
  hold, as alarm systems do), so a flickering statistic gives one alarm and not a burst.

Both work on a (series, points) flag array; held or dropped points get their reason updated."""
from __future__ import annotations

from typing import Any

import numpy as np

from .common import MethodError, Scored, rolling_count

HELD_REASON = "held after an alarm (params.hold)"


def _persistence(params: dict[str, Any]) -> tuple[int, int] | None:
    raw = params.get("persistence")
    if raw is None:
        return None
    if (not isinstance(raw, list) or len(raw) != 2 or not all(isinstance(v, int) for v in raw)
            or not 1 <= raw[0] <= raw[1]):
        raise MethodError(f"params.persistence must be [k, n] with 1 <= k <= n, got {raw!r}")
    return raw[0], raw[1]


def _hold(params: dict[str, Any]) -> int:
    raw = params.get("hold", 0)
    if not isinstance(raw, int) or raw < 0:
        raise MethodError(f"params.hold must be a non-negative integer, got {raw!r}")
    return raw


def held(flags: np.ndarray, points: int) -> np.ndarray:
    """Flags extended `points` points past the last flagged point of each run (axis 1)."""
    if points <= 0:
        return flags
    index = np.arange(flags.shape[1])
    last_alarm = np.maximum.accumulate(np.where(flags, index, -points - 1), axis=1)
    return index - last_alarm <= points


def apply(scored: Scored, params: dict[str, Any]) -> Scored:
    """Apply `persistence` then `hold` to a detector's flags (no-op when neither is set)."""
    persistence, hold = _persistence(params), _hold(params)
    if persistence is None and hold == 0:
        return scored
    raw = scored.flags
    flags = raw
    if persistence is not None:
        flags = flags & (rolling_count(raw, persistence[1]) >= persistence[0])
    flags = held(flags, hold)
    reasons = np.where(flags, scored.reasons, None)
    reasons = np.where(flags & (reasons == None), HELD_REASON, reasons)  # noqa: E711 (object array)
    return Scored(scored.scores, flags, reasons)
