"""Failover to the OpenAI-compatible backend, the marked fallback, retries, timeouts, secrets."""

from __future__ import annotations

import logging

import pytest

from conftest import API_KEY

ENDPOINT_BODIES = {
    "/v1/summarize": {"text": "Pump 3 overheated. Fans were checked. Temperature is still high.", "language": "en"},
    "/v1/analyze": {"text": "Pump 3 overheated and shut down.", "language": "en"},
    "/v1/generate": {"prompt": "Explain the pump 3 alert to the night shift.", "language": "en"},
    "/v1/embeddings": {"input": ["pump 3 overheated"], "language": "en"},
}
ANALYSIS_JSON = ('{"summary": "Pump 3 overheated.", "keywords": ["pump"], "categories": ["temperature"], '
                 '"severity": "critical", "sentiment": "negative", "next_steps": ["Check cooling."]}')


@pytest.mark.parametrize("path", list(ENDPOINT_BODIES))
def test_every_endpoint_fails_over_to_openai_when_ollama_is_down(make_client, openai, down_url, path):
    openai.chat_reply = lambda prompt: ANALYSIS_JSON
    client = make_client(ollama_url=down_url, openai_url=f"{openai.url}/v1")

    body = client.post(path, json=ENDPOINT_BODIES[path]).json()

    assert body["backend"] == "openai"
    assert body["model"] in ("local-model", "bge-m3")
    assert any(warning.startswith("ollama:") for warning in body["warnings"])
    [sent] = [request for request in openai.requests if request["method"] == "POST"]
    assert sent["headers"]["Authorization"] == f"Bearer {API_KEY}"


def test_openai_embeddings_are_put_back_in_input_order(make_client, openai, down_url):
    client = make_client(ollama_url=down_url, openai_url=f"{openai.url}/v1")

    body = client.post("/v1/embeddings", json={"input": ["a", "bbb"]}).json()

    assert [vector[0] for vector in body["embeddings"]] == [1.0, 3.0]
    assert openai.posts("/v1/embeddings")[0]["body"] == {"model": "bge-m3", "input": ["a", "bbb"]}


def test_configured_order_puts_openai_first(make_client, ollama, openai):
    client = make_client(ollama_url=ollama.url, openai_url=f"{openai.url}/v1", backend_order=("openai", "ollama"))

    assert client.post("/v1/summarize", json={"text": "pump hot"}).json()["backend"] == "openai"
    assert ollama.requests == []


@pytest.mark.parametrize("path", list(ENDPOINT_BODIES))
def test_every_endpoint_answers_with_the_marked_fallback_when_both_are_down(make_client, down_url, path):
    client = make_client(ollama_url=down_url, openai_url=f"{closed_port_url_like(down_url)}/v1")

    response = client.post(path, json=ENDPOINT_BODIES[path])

    assert response.status_code == 200
    body = response.json()
    assert body["backend"] == "fallback" and body["model"] is None
    assert [warning.split(":")[0] for warning in body["warnings"]] == ["ollama", "openai"]


def closed_port_url_like(url: str) -> str:
    """The same closed port: nothing listens there either."""
    return url


def test_fallback_answers_are_useful(make_client):
    client = make_client()  # no backend configured at all

    analysis = client.post("/v1/analyze", json=ENDPOINT_BODIES["/v1/analyze"]).json()
    embeddings = client.post("/v1/embeddings", json={"input": ["pump hot", "pump hot", "fan off"]}).json()

    assert analysis["backend"] == "fallback"
    assert analysis["severity"] == "critical"
    assert "temperature" in analysis["categories"] and analysis["next_steps"]
    assert analysis["fallback_fields"] == ["summary", "keywords", "categories", "severity", "sentiment", "next_steps"]
    assert embeddings["backend"] == "fallback" and embeddings["dimension"] == 256
    first, second, third = embeddings["embeddings"]
    assert first == second and first != third and len(first) == 256


def test_healthz_reports_openai_then_fallback(make_client, openai, down_url):
    body = make_client(ollama_url=down_url, openai_url=f"{openai.url}/v1").get("/healthz").json()
    assert body["backend"] == "openai"
    assert [(state["name"], state["ok"]) for state in body["backends"]] == [("ollama", False), ("openai", True)]

    body = make_client(ollama_url=down_url).get("/healthz").json()
    assert body["status"] == "ok" and body["backend"] == "fallback"


def test_a_5xx_is_retried_once_then_answered(make_client, ollama):
    ollama.failures_before_success = 1
    client = make_client(ollama_url=ollama.url)

    body = client.post("/v1/summarize", json={"text": "pump hot"}).json()

    assert body["backend"] == "ollama"
    assert len(ollama.posts("/api/chat")) == 2


def test_retries_are_bounded(make_client, ollama):
    ollama.failures_before_success = 10
    client = make_client(ollama_url=ollama.url, retries=2)

    body = client.post("/v1/summarize", json={"text": "pump hot"}).json()

    assert body["backend"] == "fallback"
    assert len(ollama.posts("/api/chat")) == 3
    assert "HTTP 500" in body["warnings"][0]


def test_a_4xx_is_not_retried(make_client, ollama):
    ollama.failures_before_success = 10
    ollama.failure_status = 404
    client = make_client(ollama_url=ollama.url, retries=3)

    body = client.post("/v1/summarize", json={"text": "pump hot"}).json()

    assert body["backend"] == "fallback"
    assert len(ollama.posts("/api/chat")) == 1


def test_a_slow_backend_times_out_into_the_next_choice(make_client, ollama):
    ollama.delay_seconds = 1.0
    client = make_client(ollama_url=ollama.url, timeout_seconds=0.2, retries=0)

    body = client.post("/v1/summarize", json={"text": "pump hot. fan off."}).json()

    assert body["backend"] == "fallback"
    assert "timed out" in body["warnings"][0]


def test_the_api_key_never_reaches_the_logs_or_the_answers(make_client, openai, down_url, caplog):
    caplog.set_level(logging.DEBUG)
    openai.failures_before_success = 1
    openai.failure_status = 401
    client = make_client(ollama_url=down_url, openai_url=f"{openai.url}/v1")

    answers = [client.post(path, json=body).text for path, body in ENDPOINT_BODIES.items()]
    answers.append(client.get("/healthz").text)

    assert caplog.records, "the test must see log records to mean anything"
    assert any("openai" in record.getMessage() for record in caplog.records)
    logged = "\n".join(record.getMessage() for record in caplog.records) + caplog.text
    assert API_KEY not in logged
    assert all(API_KEY not in answer for answer in answers)
