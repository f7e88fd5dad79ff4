"""Prometheus text-format counters for `/metrics`: answers per endpoint and backend, backend failures."""

from __future__ import annotations

import threading
from collections import Counter


class Metrics:
    """Thread-safe counters rendered in the Prometheus text exposition format (version 0.0.4)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._answers: Counter[tuple[str, str]] = Counter()
        self._backend_failures: Counter[str] = Counter()
        self._truncations: Counter[str] = Counter()

    def answered(self, endpoint: str, backend: str, truncated: bool) -> None:
        with self._lock:
            self._answers[(endpoint, backend)] += 1
            if truncated:
                self._truncations[endpoint] += 1

    def backend_failed(self, backend: str) -> None:
        with self._lock:
            self._backend_failures[backend] += 1

    def render(self) -> str:
        with self._lock:
            lines = [
                "# HELP detectviz_llm_answers_total Answers given, by endpoint and by the backend that produced them.",
                "# TYPE detectviz_llm_answers_total counter",
            ]
            lines += [f'detectviz_llm_answers_total{{endpoint="{endpoint}",backend="{backend}"}} {count}'
                      for (endpoint, backend), count in sorted(self._answers.items())]
            lines += [
                "# HELP detectviz_llm_backend_failures_total Backend calls given up on (after retries).",
                "# TYPE detectviz_llm_backend_failures_total counter",
            ]
            lines += [f'detectviz_llm_backend_failures_total{{backend="{backend}"}} {count}'
                      for backend, count in sorted(self._backend_failures.items())]
            lines += [
                "# HELP detectviz_llm_truncated_inputs_total Requests whose input was cut to the token budget.",
                "# TYPE detectviz_llm_truncated_inputs_total counter",
            ]
            lines += [f'detectviz_llm_truncated_inputs_total{{endpoint="{endpoint}"}} {count}'
                      for endpoint, count in sorted(self._truncations.items())]
        return "\n".join(lines) + "\n"
