"""The four operations, each trying the configured backends in order, then the fallback.

A backend that fails (unreachable, timeout after retries, error status, unusable body) is
skipped with a warning naming it; when none is left the deterministic fallback answers and
the response says `"backend": "fallback"`.
"""

from __future__ import annotations

import logging
from typing import Awaitable, Callable, TypeVar

import httpx

from . import analysis, fallback
from .backends import Backend, BackendError, ChatAnswer, configured_backends
from .config import Settings
from .metrics import Metrics
from .models import (
    AnalyzeRequest, AnalyzeResponse, BackendHealth, EmbeddingsRequest, EmbeddingsResponse,
    GenerateRequest, GenerateResponse, HealthResponse, SummarizeRequest, SummarizeResponse,
)
from .prompts import PromptTemplates, apply_budget

logger = logging.getLogger("detectviz_llm.service")
Result = TypeVar("Result")


class LlmService:
    """Summaries, analyses, generation and embeddings over the configured backends."""

    def __init__(self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        self.backends: list[Backend] = configured_backends(settings, transport)
        self.templates = PromptTemplates(settings.templates_dir)
        self.metrics = Metrics()
        logger.info("llm service: backends %s, templates %s, settings %r",
                    [backend.name for backend in self.backends], settings.templates_dir, settings)

    async def _first_answer(self, call: Callable[[Backend], Awaitable[Result]],
                            warnings: list[str]) -> Result | None:
        for backend in self.backends:
            try:
                return await call(backend)
            except BackendError as error:
                logger.warning("backend %s skipped: %s", backend.name, error)
                self.metrics.backend_failed(backend.name)
                warnings.append(f"{backend.name}: {error}")
        return None

    async def summarize(self, request: SummarizeRequest) -> SummarizeResponse:
        budgeted = apply_budget(request.text, self.settings.max_input_tokens)
        prompt = self.templates.render("summarize", request.language, budgeted, max_sentences=request.max_sentences)
        warnings: list[str] = []
        answer: ChatAnswer | None = await self._first_answer(lambda backend: backend.chat(prompt), warnings)
        if answer is None or not answer.content.strip():
            return SummarizeResponse(
                summary=fallback.summarize(budgeted.text, request.max_sentences),
                backend="fallback", model=None, language=request.language,
                truncated=budgeted.truncated, warnings=warnings,
            )
        return SummarizeResponse(
            summary=answer.content.strip(), backend=answer.backend, model=answer.model,
            language=request.language, truncated=budgeted.truncated, warnings=warnings,
        )

    async def analyze(self, request: AnalyzeRequest) -> AnalyzeResponse:
        budgeted = apply_budget(request.text, self.settings.max_input_tokens)
        prompt = self.templates.render("analyze", request.language, budgeted)
        warnings: list[str] = []

        async def ask(backend: Backend) -> tuple[ChatAnswer, dict, list[str]]:
            answer = await backend.chat(prompt, json_output=True)
            try:
                fields, fallback_fields = analysis.validated_analysis(answer.content, budgeted.text, request.language)
            except analysis.MalformedAnalysis as error:
                raise BackendError(f"{error}; reply began {answer.content[:80]!r}") from error
            return answer, fields, fallback_fields

        found = await self._first_answer(ask, warnings)
        if found is None:
            return AnalyzeResponse(
                **analysis.fallback_analysis(budgeted.text, request.language),
                backend="fallback", model=None, language=request.language,
                truncated=budgeted.truncated, warnings=warnings,
                fallback_fields=["summary", "keywords", "categories", "severity", "sentiment", "next_steps"],
            )
        answer, fields, fallback_fields = found
        return AnalyzeResponse(
            **fields, backend=answer.backend, model=answer.model, language=request.language,
            truncated=budgeted.truncated, warnings=warnings, fallback_fields=fallback_fields,
        )

    async def generate(self, request: GenerateRequest) -> GenerateResponse:
        budgeted = apply_budget(request.prompt, self.settings.max_input_tokens)
        prompt = self.templates.render("generate", request.language, budgeted)
        warnings: list[str] = []
        answer = await self._first_answer(lambda backend: backend.chat(prompt), warnings)
        if answer is None or not answer.content.strip():
            # No model can write new text: the fallback hands back the request's key sentences.
            return GenerateResponse(
                text=fallback.summarize(budgeted.text), backend="fallback", model=None,
                language=request.language, truncated=budgeted.truncated, warnings=warnings,
            )
        return GenerateResponse(
            text=answer.content.strip(), backend=answer.backend, model=answer.model,
            language=request.language, truncated=budgeted.truncated, warnings=warnings,
        )

    async def embeddings(self, request: EmbeddingsRequest) -> EmbeddingsResponse:
        texts = [request.input] if isinstance(request.input, str) else list(request.input)
        budgeted = [apply_budget(text, self.settings.max_input_tokens) for text in texts]
        inputs = [item.text for item in budgeted]
        truncated = any(item.truncated for item in budgeted)
        warnings: list[str] = []
        answer = await self._first_answer(lambda backend: backend.embed(inputs), warnings) if inputs else None
        if answer is None:
            dimension = self.settings.fallback_embedding_dimension
            vectors = [fallback.embedding(text, dimension) for text in inputs]
            return EmbeddingsResponse(
                embeddings=vectors, dimension=dimension, backend="fallback", model=None,
                language=request.language, truncated=truncated, warnings=warnings,
            )
        return EmbeddingsResponse(
            embeddings=answer.vectors, dimension=len(answer.vectors[0]) if answer.vectors else 0,
            backend=answer.backend, model=answer.model, language=request.language,
            truncated=truncated, warnings=warnings,
        )

    async def health(self) -> HealthResponse:
        states: list[BackendHealth] = []
        for backend in self.backends:
            try:
                await backend.probe()
                states.append(BackendHealth(name=backend.name, url=backend.base_url, ok=True))
            except BackendError as error:
                states.append(BackendHealth(name=backend.name, url=backend.base_url, ok=False, error=str(error)))
        answering = next((state.name for state in states if state.ok), "fallback")
        return HealthResponse(status="ok", backend=answering, backends=states)
