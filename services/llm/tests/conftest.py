"""Fixtures: fake backends and a factory for test clients over chosen settings."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parent))

from detectviz_llm.app import create_app  # noqa: E402
from detectviz_llm.config import Settings  # noqa: E402
from fake_backends import FakeOllama, FakeOpenAI, closed_port_url  # noqa: E402

API_KEY = "sk-test-SECRET-4f9d2c"


@pytest.fixture
def ollama() -> Iterator[FakeOllama]:
    server = FakeOllama()
    yield server
    server.close()


@pytest.fixture
def openai() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI()
    yield server
    server.close()


@pytest.fixture
def down_url() -> str:
    return closed_port_url()


@pytest.fixture
def make_client() -> Callable[..., TestClient]:
    """`make_client(ollama_url=..., openai_url=..., **other settings)` → a TestClient."""

    def build(ollama_url: str | None = None, openai_url: str | None = None, **overrides) -> TestClient:
        values = {
            "ollama_url": ollama_url,
            "openai_url": openai_url,
            "openai_model": "local-model",
            "openai_api_key": API_KEY,
            "timeout_seconds": 5.0,
            "retries": 1,
            "retry_backoff_seconds": 0.01,
        }
        settings = dataclasses.replace(Settings(), **{**values, **overrides})
        return TestClient(create_app(settings))

    return build
