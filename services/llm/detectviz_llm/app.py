"""FastAPI application: `detectviz_llm.app:app` (run with `uvicorn detectviz_llm.app:app`).

`create_app(settings)` builds an app for given settings (tests use it); `app` is built from
the environment. An incoming `traceparent` header is forwarded to the model backends.
"""

from __future__ import annotations

import logging

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse

from . import __version__
from .backends import current_traceparent
from .config import Settings
from .models import (
    AnalyzeRequest, AnalyzeResponse, EmbeddingsRequest, EmbeddingsResponse, GenerateRequest,
    GenerateResponse, HealthResponse, SummarizeRequest, SummarizeResponse,
)
from .prompts import TemplateError
from .service import LlmService

logger = logging.getLogger("detectviz_llm.app")


def create_app(settings: Settings | None = None, transport: httpx.AsyncBaseTransport | None = None) -> FastAPI:
    """The HTTP API over an `LlmService` built from `settings` (default: the environment)."""
    service = LlmService(settings or Settings.from_environment(), transport)
    application = FastAPI(
        title="Detectviz LLM service",
        version=__version__,
        description=(
            "Summaries, analyses, generation and embeddings for Detectviz reports and automation. "
            "Backends: Ollama, then an OpenAI-compatible endpoint; when none answers, a deterministic "
            "extractive fallback answers with `\"backend\": \"fallback\"`."
        ),
    )
    application.state.service = service

    @application.middleware("http")
    async def forward_traceparent(request: Request, call_next) -> Response:
        token = current_traceparent.set(request.headers.get("traceparent"))
        try:
            return await call_next(request)
        finally:
            current_traceparent.reset(token)

    @application.exception_handler(TemplateError)
    async def template_missing(request: Request, error: TemplateError) -> JSONResponse:
        logger.error("%s", error)
        return JSONResponse(status_code=500, content={"detail": str(error)})

    @application.get("/healthz", response_model=HealthResponse)
    async def healthz() -> HealthResponse:
        """Which backend answers now (the first that does, or `fallback`)."""
        return await service.health()

    @application.get("/metrics", response_class=PlainTextResponse)
    async def metrics() -> PlainTextResponse:
        """Prometheus counters: answers by endpoint and backend, backend failures, truncations."""
        return PlainTextResponse(service.metrics.render(), media_type="text/plain; version=0.0.4")

    @application.post("/v1/summarize", response_model=SummarizeResponse)
    async def summarize(request: SummarizeRequest) -> SummarizeResponse:
        """A short summary of alert, log or report text."""
        answer = await service.summarize(request)
        service.metrics.answered("summarize", answer.backend, answer.truncated)
        return answer

    @application.post("/v1/analyze", response_model=AnalyzeResponse)
    async def analyze(request: AnalyzeRequest) -> AnalyzeResponse:
        """Summary, keywords, categories, suggested severity, sentiment and next steps."""
        answer = await service.analyze(request)
        service.metrics.answered("analyze", answer.backend, answer.truncated)
        return answer

    @application.post("/v1/generate", response_model=GenerateResponse)
    async def generate(request: GenerateRequest) -> GenerateResponse:
        """Free text (rewrite, explain, draft) in the requested language."""
        answer = await service.generate(request)
        service.metrics.answered("generate", answer.backend, answer.truncated)
        return answer

    @application.post("/v1/embeddings", response_model=EmbeddingsResponse)
    async def embeddings(request: EmbeddingsRequest) -> EmbeddingsResponse:
        """One vector per input text; vectors from different backends are not comparable."""
        answer = await service.embeddings(request)
        service.metrics.answered("embeddings", answer.backend, answer.truncated)
        return answer

    return application


app = create_app()
