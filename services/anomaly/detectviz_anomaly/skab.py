"""SKAB (Skoltech Anomaly Benchmark) loading and scoring, per the shared BENCHMARK.md: files are
`;`-separated with a `datetime` column, 8 sensor channels and `anomaly`/`changepoint` labels;
the first 400 rows of each file train, the rest is the test part; outlier F1/FAR/MAR are pooled.

The data is read in place from `SKAB_DATA_DIR` (default: `../../../shared/data/skab` relative to
the service directory) and never copied."""
from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

TRAIN_ROWS = 400
# Columns of a SKAB file that are not sensor channels; every other column is one.
NON_CHANNEL_COLUMNS = ("datetime", "anomaly", "changepoint")


def data_dir() -> Path:
    """Where SKAB lives: `SKAB_DATA_DIR` or the shared folder beside the repository."""
    default = Path(__file__).resolve().parents[1] / "../../../shared/data/skab"
    return Path(os.environ.get("SKAB_DATA_DIR", default)).resolve()


@dataclass
class SkabFile:
    """One labelled SKAB experiment."""

    name: str
    channels: list[str]  # sensor columns, in file order, from the header
    timestamps: list[str]
    values: np.ndarray  # (rows, 8)
    anomaly: np.ndarray  # (rows,) bool
    changepoint: np.ndarray  # (rows,) bool

    def seconds(self) -> np.ndarray:
        """Timestamps as seconds (the file's local time, naive; only differences matter)."""
        return np.array([datetime.fromisoformat(stamp).timestamp() for stamp in self.timestamps])


def load_file(path: Path) -> SkabFile:
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle, delimiter=";")
        rows = list(reader)
        channels = [column for column in reader.fieldnames or [] if column not in NON_CHANNEL_COLUMNS]
    values = np.array([[float(row[channel]) for channel in channels] for row in rows])
    anomaly = np.array([float(row["anomaly"]) > 0.5 for row in rows])
    changepoint = np.array([float(row["changepoint"]) > 0.5 for row in rows])
    return SkabFile(f"{path.parent.name}/{path.name}", channels, [row["datetime"] for row in rows], values,
                    anomaly, changepoint)


def labelled_files(groups: tuple[str, ...] = ("valve1", "valve2", "other")) -> list[SkabFile]:
    """Every labelled file of the given groups, in numeric order."""
    files = []
    for group in groups:
        paths = sorted((data_dir() / group).glob("*.csv"), key=lambda p: int(p.stem))
        files.extend(load_file(path) for path in paths)
    return files


@dataclass
class OutlierScore:
    f1: float
    far: float
    mar: float
    tp: int
    fp: int
    fn: int
    tn: int


def outlier_score(truth: np.ndarray, predicted: np.ndarray) -> OutlierScore:
    """F1 = TP/(TP+(FP+FN)/2), FAR = FP/(FP+TN)·100, MAR = FN/(FN+TP)·100, rounded to 2 decimals."""
    truth, predicted = truth.astype(bool), predicted.astype(bool)
    tp = int(np.sum(truth & predicted))
    fp = int(np.sum(~truth & predicted))
    fn = int(np.sum(truth & ~predicted))
    tn = int(np.sum(~truth & ~predicted))
    f1 = tp / (tp + (fp + fn) / 2) if tp + fp + fn else 1.0
    far = 100.0 * fp / (fp + tn) if fp + tn else 0.0
    mar = 100.0 * fn / (fn + tp) if fn + tp else 0.0
    return OutlierScore(round(f1, 2), round(far, 2), round(mar, 2), tp, fp, fn, tn)
