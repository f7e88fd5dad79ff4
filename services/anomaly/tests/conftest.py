"""Shared fixtures: an app over a temporary models directory and synthetic series helpers."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from detectviz_anomaly.app import create_app


@pytest.fixture
def models_dir(tmp_path: Path) -> Path:
    return tmp_path / "models"


@pytest.fixture
def client(models_dir: Path) -> TestClient:
    return TestClient(create_app(models_dir))


def noise(points: int = 120, seed: int = 7) -> np.ndarray:
    """Clean white noise around 10 with sigma 1."""
    return 10.0 + np.random.RandomState(seed).randn(points)


def flagged(response_json: dict, index: int = 0) -> list[int]:
    return [i for i, flag in enumerate(response_json["results"][index]["flags"]) if flag]
