"""Detectviz LLM service: summaries, analysis, generation and embeddings.

Backends are Ollama and an OpenAI-compatible endpoint, tried in configured order; when
none answers, a deterministic extractive fallback answers and marks `"backend": "fallback"`.
"""

__version__ = "0.1.0"
