"""The service as operators run it: `python -m detectviz_llm` in its own process, over real HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import Iterator

import httpx
import pytest

from conftest import API_KEY
from fake_backends import FakeOllama, closed_port_url


@pytest.fixture
def service_process(ollama: FakeOllama) -> Iterator[tuple[str, subprocess.Popen]]:
    listen = closed_port_url().removeprefix("http://")
    environment = {
        **os.environ,
        "DETECTVIZ_LLM_LISTEN": listen,
        "DETECTVIZ_LLM_OLLAMA_URL": ollama.url,
        "DETECTVIZ_LLM_OPENAI_URL": closed_port_url() + "/v1",
        "DETECTVIZ_LLM_OPENAI_API_KEY": API_KEY,
        "DETECTVIZ_LLM_LOG_LEVEL": "DEBUG",
    }
    process = subprocess.Popen([sys.executable, "-m", "detectviz_llm"], env=environment,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://{listen}"
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{base}/openapi.json", timeout=0.5)
            break
        except httpx.HTTPError:
            if process.poll() is not None:
                pytest.fail(f"service exited early: {process.stdout.read()}")
            time.sleep(0.1)
    yield base, process
    process.terminate()
    process.wait(timeout=10)


def test_the_served_process_answers_through_ollama_and_keeps_the_key_out_of_its_log(service_process, ollama):
    base, process = service_process

    health = httpx.get(f"{base}/healthz", timeout=10).json()
    summary = httpx.post(f"{base}/v1/summarize", json={"text": "泵浦溫度過高。"}, timeout=10).json()

    assert health["backend"] == "ollama"
    assert summary["backend"] == "ollama" and summary["summary"] == "fake reply"
    assert ollama.posts("/api/chat")[0]["body"]["stream"] is False
    process.terminate()
    log, _ = process.communicate(timeout=10)
    assert "detectviz_llm.service" in log
    assert API_KEY not in log
