"""Turning a model's reply into a validated analysis.

The model is asked for one JSON object, but replies may wrap it in prose or Markdown fences.
The first decodable JSON object in the reply is used; each field is checked on its own and a
missing or wrong field is filled by the fallback and named in `fallback_fields`.
"""

from __future__ import annotations

import json
from typing import Any

from . import fallback

SEVERITY_ALIASES = {
    "info": "info", "information": "info", "low": "info", "資訊": "info", "提示": "info",
    "warning": "warning", "warn": "warning", "medium": "warning", "major": "warning", "警告": "warning",
    "critical": "critical", "high": "critical", "severe": "critical", "emergency": "critical", "嚴重": "critical", "緊急": "critical",
}
SENTIMENTS = ("negative", "neutral", "positive")


class MalformedAnalysis(ValueError):
    """The reply holds no JSON object."""


def extract_json_object(reply: str) -> dict[str, Any]:
    """The first JSON object found in `reply`, tolerating prose and code fences around it."""
    decoder = json.JSONDecoder()
    start = reply.find("{")
    while start != -1:
        try:
            value, _ = decoder.raw_decode(reply, start)
        except json.JSONDecodeError:
            start = reply.find("{", start + 1)
            continue
        if isinstance(value, dict):
            return value
        start = reply.find("{", start + 1)
    raise MalformedAnalysis("the model's reply contains no JSON object")


def _string_list(value: Any, limit: int) -> list[str] | None:
    if isinstance(value, str):
        value = [part.strip() for part in value.replace("、", ",").split(",")]
    if not isinstance(value, list):
        return None
    items = [str(item).strip() for item in value if isinstance(item, (str, int, float)) and str(item).strip()]
    return items[:limit] if items else None


def validated_analysis(reply: str, text: str, language: str) -> tuple[dict[str, Any], list[str]]:
    """Fields from the model's JSON, with wrong or missing ones replaced by the fallback's."""
    raw = extract_json_object(reply)
    fallback_fields: list[str] = []
    result: dict[str, Any] = {}

    summary = raw.get("summary")
    if isinstance(summary, str) and summary.strip():
        result["summary"] = summary.strip()
    else:
        result["summary"] = fallback.summarize(text)
        fallback_fields.append("summary")

    for name, limit, compute in (
        ("keywords", 8, lambda: fallback.keywords(text)),
        ("categories", 5, lambda: fallback.categories(text)),
    ):
        items = _string_list(raw.get(name), limit)
        if items is None:
            items = compute()
            fallback_fields.append(name)
        result[name] = [item.lower() if item.isascii() and name == "categories" else item for item in items]

    level = SEVERITY_ALIASES.get(str(raw.get("severity", "")).strip().lower())
    if level is None:
        level = fallback.severity(text)
        fallback_fields.append("severity")
    result["severity"] = level

    mood = str(raw.get("sentiment", "")).strip().lower()
    if mood not in SENTIMENTS:
        mood = fallback.sentiment(level)
        fallback_fields.append("sentiment")
    result["sentiment"] = mood

    steps = _string_list(raw.get("next_steps"), 5)
    if steps is None:
        steps = fallback.next_steps(result["categories"], language) or fallback.next_steps(["other"], language)
        fallback_fields.append("next_steps")
    result["next_steps"] = steps
    return result, fallback_fields


def fallback_analysis(text: str, language: str) -> dict[str, Any]:
    """The whole analysis from the deterministic fallback."""
    found = fallback.categories(text)
    level = fallback.severity(text)
    return {
        "summary": fallback.summarize(text),
        "keywords": fallback.keywords(text),
        "categories": found,
        "severity": level,
        "sentiment": fallback.sentiment(level),
        "next_steps": fallback.next_steps(found, language),
    }
