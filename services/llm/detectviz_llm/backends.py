"""HTTP clients for the model backends: Ollama and an OpenAI-compatible endpoint.

Each backend has the same three calls (`chat`, `embed`, `probe`). A call is retried a bounded
number of times on connection errors, timeouts and 5xx answers, never on 4xx. The OpenAI API
key goes only into the `Authorization` header; it is never part of an error message or log.
The W3C `traceparent` of the incoming request, when there is one, is forwarded.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from dataclasses import dataclass
from typing import Any

import httpx

from .config import Settings

logger = logging.getLogger("detectviz_llm.backends")

current_traceparent: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "current_traceparent", default=None
)


class BackendError(RuntimeError):
    """A backend did not give a usable answer (unreachable, timed out, error status, bad body)."""


@dataclass(frozen=True)
class ChatAnswer:
    """The model's reply and which backend and model produced it."""

    content: str
    backend: str
    model: str


@dataclass(frozen=True)
class EmbeddingAnswer:
    """One vector per input and which backend and model produced them."""

    vectors: list[list[float]]
    backend: str
    model: str


class Backend:
    """Shared retry and request plumbing; subclasses say which paths and bodies to use."""

    name = "backend"

    def __init__(self, base_url: str, settings: Settings, transport: httpx.AsyncBaseTransport | None = None):
        self.base_url = base_url.rstrip("/")
        self.settings = settings
        self._transport = transport

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        traceparent = current_traceparent.get()
        if traceparent:
            headers["traceparent"] = traceparent
        return headers

    async def _request(self, method: str, path: str, body: dict[str, Any] | None = None,
                       timeout: float | None = None, retries: int | None = None) -> Any:
        url = f"{self.base_url}{path}"
        attempts = 1 + (self.settings.retries if retries is None else retries)
        last_problem = "no attempt made"
        for attempt in range(1, attempts + 1):
            try:
                async with httpx.AsyncClient(
                    timeout=timeout or self.settings.timeout_seconds, transport=self._transport
                ) as client:
                    response = await client.request(method, url, json=body, headers=self._headers())
            except httpx.TimeoutException:
                last_problem = f"{self.name} at {url} timed out"
            except httpx.HTTPError as error:
                last_problem = f"{self.name} at {url} unreachable: {type(error).__name__}"
            else:
                if response.status_code < 400:
                    try:
                        return response.json()
                    except ValueError as error:
                        raise BackendError(f"{self.name} at {url} answered with a body that is not JSON") from error
                last_problem = f"{self.name} at {url} answered HTTP {response.status_code}: {response.text[:200]}"
                if response.status_code < 500:
                    raise BackendError(last_problem)
            logger.warning("attempt %d of %d failed: %s", attempt, attempts, last_problem)
            if attempt < attempts:
                await asyncio.sleep(self.settings.retry_backoff_seconds * attempt)
        raise BackendError(last_problem)

    async def chat(self, prompt: str, json_output: bool = False) -> ChatAnswer:
        raise NotImplementedError

    async def embed(self, inputs: list[str]) -> EmbeddingAnswer:
        raise NotImplementedError

    async def probe(self) -> None:
        """Raises `BackendError` unless the backend answers its listing endpoint quickly."""
        raise NotImplementedError


class Ollama(Backend):
    """Ollama's HTTP API: `POST /api/chat` (non-streaming), `POST /api/embed`, `GET /api/tags`."""

    name = "ollama"

    async def chat(self, prompt: str, json_output: bool = False) -> ChatAnswer:
        body: dict[str, Any] = {
            "model": self.settings.model,
            "messages": [{"role": "user", "content": prompt}],
            "stream": False,
        }
        if json_output:
            body["format"] = "json"
        answer = await self._request("POST", "/api/chat", body)
        try:
            content = answer["message"]["content"]
        except (KeyError, TypeError) as error:
            raise BackendError("ollama /api/chat answer has no message.content") from error
        if not isinstance(content, str):
            raise BackendError("ollama /api/chat message.content is not a string")
        return ChatAnswer(content, self.name, str(answer.get("model") or self.settings.model))

    async def embed(self, inputs: list[str]) -> EmbeddingAnswer:
        answer = await self._request("POST", "/api/embed", {"model": self.settings.embedding_model, "input": inputs})
        vectors = answer.get("embeddings") if isinstance(answer, dict) else None
        _check_vectors(self.name, vectors, len(inputs))
        return EmbeddingAnswer(vectors, self.name, str(answer.get("model") or self.settings.embedding_model))

    async def probe(self) -> None:
        await self._request("GET", "/api/tags", timeout=min(2.0, self.settings.timeout_seconds), retries=0)


class OpenAICompatible(Backend):
    """An OpenAI-compatible API (vLLM, LM Studio, ...): base URL ends with `/v1`."""

    name = "openai"

    def _headers(self) -> dict[str, str]:
        headers = super()._headers()
        if self.settings.openai_api_key:
            headers["Authorization"] = f"Bearer {self.settings.openai_api_key}"
        return headers

    async def chat(self, prompt: str, json_output: bool = False) -> ChatAnswer:
        model = self.settings.openai_model or self.settings.model
        body = {"model": model, "messages": [{"role": "user", "content": prompt}], "stream": False}
        answer = await self._request("POST", "/chat/completions", body)
        try:
            content = answer["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError) as error:
            raise BackendError("openai /chat/completions answer has no choices[0].message.content") from error
        if not isinstance(content, str):
            raise BackendError("openai /chat/completions message.content is not a string")
        return ChatAnswer(content, self.name, str(answer.get("model") or model))

    async def embed(self, inputs: list[str]) -> EmbeddingAnswer:
        model = self.settings.openai_embedding_model or self.settings.embedding_model
        answer = await self._request("POST", "/embeddings", {"model": model, "input": inputs})
        try:
            rows = sorted(answer["data"], key=lambda row: row.get("index", 0))
            vectors = [row["embedding"] for row in rows]
        except (KeyError, TypeError, AttributeError) as error:
            raise BackendError("openai /embeddings answer has no data[].embedding") from error
        _check_vectors(self.name, vectors, len(inputs))
        return EmbeddingAnswer(vectors, self.name, str(answer.get("model") or model))

    async def probe(self) -> None:
        await self._request("GET", "/models", timeout=min(2.0, self.settings.timeout_seconds), retries=0)


def _check_vectors(backend: str, vectors: Any, expected: int) -> None:
    if not isinstance(vectors, list) or len(vectors) != expected:
        raise BackendError(f"{backend} returned {len(vectors) if isinstance(vectors, list) else 'no'} vectors for {expected} inputs")
    for vector in vectors:
        if not isinstance(vector, list) or not all(isinstance(value, (int, float)) for value in vector):
            raise BackendError(f"{backend} returned a vector that is not a list of numbers")


def configured_backends(settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> list[Backend]:
    """The backends with a URL, in `settings.backend_order`."""
    backends: list[Backend] = []
    for name in settings.backend_order:
        if name == "ollama" and settings.ollama_url:
            backends.append(Ollama(settings.ollama_url, settings, transport))
        elif name == "openai" and settings.openai_url:
            backends.append(OpenAICompatible(settings.openai_url, settings, transport))
    return backends
