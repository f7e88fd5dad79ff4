"""Change points of an alarm (`alarm_changepoints`, frames only): the points where a
`channel_limits` alarm is raised or cleared, plus the `cusum_changepoint` pulses that fall while
the alarm is raised (the stages of an abnormal episode: developing, fully developed, recovering).

CUSUM pulses outside an alarm are dropped: in normal operation the process wanders (drift,
set-point moves) and a bare change detector fires on it; inside an alarm the changes are the
episode's stages. `params.alarm` holds the channel_limits params (with its `persistence` and
`hold`, default 5-of-10 and 20), `params.cusum` the cusum_changepoint params. Flags are one-point
pulses at the change points; the score is the alarm's."""
from __future__ import annotations

from typing import Any

import numpy as np

from . import postprocess
from .changepoint import cusum_changepoint, fit_cusum_changepoint
from .channel_limits import channel_limits, fit_channel_limits
from .common import MethodError, Scored

DEFAULT_ALARM: dict[str, Any] = {"calibration_rows": 100, "margin": 3.0, "smooth": 5, "persistence": [5, 10], "hold": 20}
DEFAULT_CUSUM: dict[str, Any] = {"k": 1.0, "h": 20.0, "refractory": 30, "restart": 5}


def _part(params: dict[str, Any], name: str, default: dict[str, Any]) -> dict[str, Any]:
    raw = params.get(name, {})
    if not isinstance(raw, dict):
        raise MethodError(f"params.{name} must be an object of {name} params")
    return {**default, **raw}


def fit_alarm_changepoints(train: np.ndarray, params: dict[str, Any]) -> dict[str, Any]:
    return {"alarm": fit_channel_limits(train, _part(params, "alarm", DEFAULT_ALARM)),
            "cusum": fit_cusum_changepoint(train, _part(params, "cusum", DEFAULT_CUSUM))}


def alarm_changepoints(rows: np.ndarray, params: dict[str, Any], state: dict[str, Any] | None) -> Scored:
    if state is None:
        state = fit_alarm_changepoints(rows, params)
    alarm_params = _part(params, "alarm", DEFAULT_ALARM)
    level = channel_limits(rows, alarm_params, state["alarm"])
    alarm = postprocess.apply(Scored(level.scores[None, :], level.flags[None, :], level.reasons[None, :]), alarm_params)
    alarmed = alarm.flags[0]
    pulses = cusum_changepoint(rows, _part(params, "cusum", DEFAULT_CUSUM), state["cusum"]).flags
    before = np.concatenate([[False], alarmed[:-1]])
    raised, cleared = alarmed & ~before, ~alarmed & before
    staged = pulses & alarmed & ~raised
    codes = np.where(raised, 1, np.where(cleared, 2, np.where(staged, 3, 0)))
    table = np.array([None, "alarm raised", "alarm cleared", "change while the alarm is raised"], dtype=object)
    return Scored(level.scores, codes > 0, table[codes])
