"""SKAB's variant of the NAB change-point score (BENCHMARK.md §1.2): for each true change point
at t the window is [t, t + 60 s] (a later overlapping window starts where the earlier one ends);
the first predicted change point in a window is a TP rewarded on the scaled tanh curve, predictions
outside every window are FPs (A_fp each), windows without a prediction are FNs (A_fn each). Scores
are summed over files and normalised to 100·(S − S_null)/(S_perfect − S_null)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

PROFILES: dict[str, tuple[float, float, float]] = {
    "standard": (1.0, -0.11, -1.0),
    "low_fp": (1.0, -0.22, -1.0),
    "low_fn": (1.0, -0.11, -2.0),
}
WINDOW_SECONDS = 60
_GRID = np.linspace(-math.pi / 2, math.pi / 2, 1000)


def changepoints_from_flags(flags: np.ndarray) -> np.ndarray:
    """The leaderboard's rule: cp = |diff(pred)| with cp[0] = pred[0]."""
    flags = flags.astype(int)
    return np.abs(np.diff(flags, prepend=0)).astype(bool)


def smoothed_changepoints(flags: np.ndarray, median_window: int = 3, max_window: int = 30) -> np.ndarray:
    """The leaderboard's Isolation Forest notebook rule: trailing rolling median of 3, trailing
    rolling max of 30, then |diff| (windows shorter at the start instead of NaN)."""
    values = flags.astype(float)
    padded = np.concatenate([np.full(median_window - 1, values[0]), values])
    median = np.median(sliding_window_view(padded, median_window), axis=1)
    padded = np.concatenate([np.full(max_window - 1, median[0]), median])
    widened = sliding_window_view(padded, max_window).max(axis=1)
    return changepoints_from_flags(widened > 0.5)


def _reward(position: int, profile: tuple[float, float, float]) -> float:
    a_tp, a_fp, _ = profile
    x = _GRID[min(position, len(_GRID) - 1)]
    return (a_tp - a_fp) / 2 * (-math.tanh(x) / math.tanh(math.pi / 2)) + (a_tp - a_fp) / 2 + a_fp


@dataclass
class NabTally:
    """Per-file outcomes accumulated over files."""

    windows: int = 0
    missed: int = 0
    false_positives: int = 0
    positions: list[int] = field(default_factory=list)  # grid index of each TP

    def add_file(self, seconds: np.ndarray, true_cp: np.ndarray, predicted_cp: np.ndarray) -> None:
        """`seconds`: timestamps in seconds; `true_cp`/`predicted_cp`: boolean per row."""
        windows: list[tuple[float, float]] = []
        for start in seconds[true_cp]:
            end = start + WINDOW_SECONDS
            if windows and start < windows[-1][1]:
                start = windows[-1][1]
            windows.append((float(start), float(end)))
        predictions = seconds[predicted_cp]
        inside_any = np.zeros(len(predictions), dtype=bool)
        for start, end in windows:
            inside = (predictions >= start) & (predictions <= end)
            inside_any |= inside
            if inside.any():
                first = predictions[np.argmax(inside)]
                span = max(end - start, 1e-9)
                self.positions.append(int((first - start) / span * 1000))
            else:
                self.missed += 1
        self.windows += len(windows)
        self.false_positives += int((~inside_any).sum())

    def score(self, profile_name: str) -> float:
        profile = PROFILES[profile_name]
        a_tp, a_fp, a_fn = profile
        total = sum(_reward(p, profile) for p in self.positions) + a_fp * self.false_positives + a_fn * self.missed
        perfect, null = self.windows * a_tp, self.windows * a_fn
        return round(100 * (total - null) / (perfect - null), 2) if perfect != null else 0.0

    def summary(self) -> dict[str, float]:
        return {"nab_standard": self.score("standard"), "nab_low_fp": self.score("low_fp"),
                "nab_low_fn": self.score("low_fn"), "missed_cps": self.missed, "fp_cps": self.false_positives}
