"""Malformed and partial model JSON in `/v1/analyze`, and the JSON extraction itself."""

from __future__ import annotations

import pytest

from detectviz_llm.analysis import MalformedAnalysis, extract_json_object, validated_analysis


def test_prose_without_json_falls_through_to_the_marked_fallback(make_client, ollama):
    ollama.chat_reply = lambda prompt: "抱歉，我無法以 JSON 回覆。"
    client = make_client(ollama_url=ollama.url)

    body = client.post("/v1/analyze", json={"text": "三號馬達電流過高，已停機。"}).json()

    assert body["backend"] == "fallback"
    assert "no JSON object" in body["warnings"][0]
    assert body["severity"] == "critical" and "power" in body["categories"]
    assert body["next_steps"][0].endswith("。")


def test_malformed_json_from_ollama_then_valid_json_from_openai(make_client, ollama, openai):
    ollama.chat_reply = lambda prompt: '{"summary": "unterminated'
    openai.chat_reply = lambda prompt: '{"summary": "ok", "keywords": [], "categories": ["network"], "severity": "warning", "sentiment": "neutral", "next_steps": ["ping it"]}'
    client = make_client(ollama_url=ollama.url, openai_url=f"{openai.url}/v1")

    body = client.post("/v1/analyze", json={"text": "switch 4 offline", "language": "en"}).json()

    assert body["backend"] == "openai" and body["summary"] == "ok"
    assert body["fallback_fields"] == ["keywords"]
    assert body["keywords"]


def test_wrong_fields_are_filled_by_the_fallback_and_named(make_client, ollama):
    ollama.chat_reply = lambda prompt: '{"summary": "", "keywords": "泵浦、溫度", "categories": 7, "severity": "HIGH", "sentiment": "angry"}'
    client = make_client(ollama_url=ollama.url)

    body = client.post("/v1/analyze", json={"text": "泵浦溫度過高。"}).json()

    assert body["backend"] == "ollama"
    assert body["keywords"] == ["泵浦", "溫度"]
    assert body["severity"] == "critical"
    assert body["fallback_fields"] == ["summary", "categories", "sentiment", "next_steps"]
    assert body["summary"] == "泵浦溫度過高。" and body["sentiment"] == "negative"


def test_extract_json_skips_braces_that_are_not_json():
    reply = 'Template {text} aside, the answer is {"severity": "info"} and {"severity": "critical"}'
    assert extract_json_object(reply) == {"severity": "info"}
    with pytest.raises(MalformedAnalysis):
        extract_json_object("[1, 2] {not json}")


def test_validated_analysis_keeps_good_fields_verbatim():
    fields, missing = validated_analysis(
        '{"summary": "s", "keywords": ["k"], "categories": ["Network"], "severity": "warning", "sentiment": "neutral", "next_steps": ["n"]}',
        "text", "en",
    )
    assert missing == []
    assert fields["categories"] == ["network"] and fields["severity"] == "warning"
