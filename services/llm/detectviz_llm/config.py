"""Settings read from `DETECTVIZ_LLM_*` environment variables.

The OpenAI-compatible API key is kept in a field excluded from `repr` so that logging the
settings never prints it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, TypeVar

Number = TypeVar("Number", int, float)

REPOSITORY_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_TEMPLATES_DIR = REPOSITORY_ROOT / "conf" / "provisioning" / "templates" / "llm"
KNOWN_BACKENDS = ("ollama", "openai")


class ConfigError(ValueError):
    """A `DETECTVIZ_LLM_*` variable holds a value the service cannot use."""


@dataclass(frozen=True)
class Settings:
    """Everything the service needs to reach its backends and render prompts."""

    ollama_url: str | None = "http://127.0.0.1:11434"
    model: str = "qwen2.5:7b-instruct"
    embedding_model: str = "bge-m3"
    openai_url: str | None = None
    openai_model: str | None = None
    openai_embedding_model: str | None = None
    openai_api_key: str | None = field(default=None, repr=False)
    backend_order: tuple[str, ...] = KNOWN_BACKENDS
    timeout_seconds: float = 60.0
    retries: int = 1
    retry_backoff_seconds: float = 0.5
    max_input_tokens: int = 3000
    templates_dir: Path = DEFAULT_TEMPLATES_DIR
    fallback_embedding_dimension: int = 256

    @classmethod
    def from_environment(cls, environment: Mapping[str, str] | None = None) -> "Settings":
        """Builds settings from the environment; unset variables keep their defaults."""
        env = os.environ if environment is None else environment
        defaults = cls()
        model = env.get("DETECTVIZ_LLM_MODEL", defaults.model)
        embedding_model = env.get("DETECTVIZ_LLM_EMBEDDING_MODEL", defaults.embedding_model)
        order = tuple(
            name.strip().lower()
            for name in env.get("DETECTVIZ_LLM_BACKENDS", ",".join(KNOWN_BACKENDS)).split(",")
            if name.strip()
        )
        unknown = [name for name in order if name not in KNOWN_BACKENDS]
        if unknown:
            raise ConfigError(
                f"DETECTVIZ_LLM_BACKENDS: unknown backend {unknown[0]!r}; known: {', '.join(KNOWN_BACKENDS)}"
            )
        return cls(
            ollama_url=_optional_url(env.get("DETECTVIZ_LLM_OLLAMA_URL", defaults.ollama_url or "")),
            model=model,
            embedding_model=embedding_model,
            openai_url=_optional_url(env.get("DETECTVIZ_LLM_OPENAI_URL", "")),
            openai_model=env.get("DETECTVIZ_LLM_OPENAI_MODEL") or model,
            openai_embedding_model=env.get("DETECTVIZ_LLM_OPENAI_EMBEDDING_MODEL") or embedding_model,
            openai_api_key=env.get("DETECTVIZ_LLM_OPENAI_API_KEY") or None,
            backend_order=order,
            timeout_seconds=_number(env, "DETECTVIZ_LLM_TIMEOUT_SECONDS", defaults.timeout_seconds, float),
            retries=_number(env, "DETECTVIZ_LLM_RETRIES", defaults.retries, int),
            retry_backoff_seconds=_number(
                env, "DETECTVIZ_LLM_RETRY_BACKOFF_SECONDS", defaults.retry_backoff_seconds, float
            ),
            max_input_tokens=_number(env, "DETECTVIZ_LLM_MAX_INPUT_TOKENS", defaults.max_input_tokens, int),
            templates_dir=Path(env.get("DETECTVIZ_LLM_TEMPLATES_DIR") or defaults.templates_dir),
        )


def _optional_url(value: str) -> str | None:
    value = value.strip().rstrip("/")
    return value or None


def _number(env: Mapping[str, str], name: str, default: Number, kind: Callable[[str], Number]) -> Number:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = kind(raw)
    except ValueError as error:
        raise ConfigError(f"{name}: expected a {getattr(kind, '__name__', 'number')}, got {raw!r}") from error
    if value < 0:
        raise ConfigError(f"{name}: must not be negative, got {raw!r}")
    return value
