"""Typed request and response bodies of the HTTP API (the OpenAPI schema comes from these)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Language = Literal["zh-TW", "en"]
BackendName = Literal["ollama", "openai", "fallback"]
SeverityLevel = Literal["info", "warning", "critical"]
Sentiment = Literal["negative", "neutral", "positive"]


class SummarizeRequest(BaseModel):
    text: str = Field(min_length=1, description="Alert, log or report text to summarise.")
    language: Language = "zh-TW"
    max_sentences: int = Field(3, ge=1, le=20)


class AnalyzeRequest(BaseModel):
    text: str = Field(min_length=1, description="Alerts or logs to analyse.")
    language: Language = "zh-TW"


class GenerateRequest(BaseModel):
    prompt: str = Field(min_length=1, description="What to write (rewrite, explain, draft).")
    language: Language = "zh-TW"


class EmbeddingsRequest(BaseModel):
    input: str | list[str] = Field(description="One text or a list of texts.")
    language: Language = "zh-TW"


class Answer(BaseModel):
    """Fields every answer carries: who produced it and whether input was cut."""

    backend: BackendName
    model: str | None = Field(None, description="Model name; null for the fallback.")
    language: Language
    truncated: bool = False
    warnings: list[str] = Field(default_factory=list, description="Why a backend was skipped, etc.")


class SummarizeResponse(Answer):
    summary: str


class AnalyzeResponse(Answer):
    summary: str
    keywords: list[str]
    categories: list[str]
    severity: SeverityLevel
    sentiment: Sentiment
    next_steps: list[str]
    fallback_fields: list[str] = Field(
        default_factory=list, description="Fields the model left out or got wrong, filled by the fallback."
    )


class GenerateResponse(Answer):
    text: str


class EmbeddingsResponse(Answer):
    embeddings: list[list[float]]
    dimension: int


class BackendHealth(BaseModel):
    name: str
    url: str
    ok: bool
    error: str | None = None


class HealthResponse(BaseModel):
    status: Literal["ok"]
    backend: BackendName = Field(description="The first backend that answers, or fallback.")
    backends: list[BackendHealth]
