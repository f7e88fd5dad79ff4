"""Versioned model store on disk: `<models_dir>/<model_id>/v<version>.joblib` holds the fitted
state (numpy arrays, scikit-learn objects) and `v<version>.json` the metadata. Every version is
kept; the highest one is current. `load_all()` reads the current versions at start."""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib

_VERSION_FILE = re.compile(r"^v(\d+)\.json$")


@dataclass
class StoredModel:
    """A model's metadata (`ModelInfo` fields) and its fitted state."""

    metadata: dict[str, Any]
    state: dict[str, Any]


class ModelStore:
    """Models kept in memory and persisted under `directory`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.models: dict[str, StoredModel] = {}

    def load_all(self) -> None:
        """Load the newest version of every model found under the directory."""
        if not self.directory.is_dir():
            return
        for model_dir in sorted(self.directory.iterdir()):
            versions = [int(m.group(1)) for f in model_dir.glob("v*.json") if (m := _VERSION_FILE.match(f.name))]
            if not versions:
                continue
            newest = max(versions)
            metadata = json.loads((model_dir / f"v{newest}.json").read_text())
            state = joblib.load(model_dir / f"v{newest}.joblib")
            self.models[metadata["model_id"]] = StoredModel(metadata, state)

    def get(self, model_id: str) -> StoredModel | None:
        return self.models.get(model_id)

    def save(self, metadata: dict[str, Any], state: dict[str, Any]) -> None:
        """Write a version atomically (state first, metadata last) and make it current."""
        model_dir = self.directory / metadata["model_id"]
        model_dir.mkdir(parents=True, exist_ok=True)
        version = metadata["version"]
        state_path = model_dir / f"v{version}.joblib"
        joblib.dump(state, state_path.with_suffix(".joblib.tmp"))
        os.replace(state_path.with_suffix(".joblib.tmp"), state_path)
        meta_path = model_dir / f"v{version}.json"
        meta_path.with_suffix(".json.tmp").write_text(json.dumps(metadata, indent=2))
        os.replace(meta_path.with_suffix(".json.tmp"), meta_path)
        self.models[metadata["model_id"]] = StoredModel(metadata, state)
