"""Each endpoint against the fake Ollama, checking the requests the service sends."""

from __future__ import annotations

import json

ALERT_TEXT_ZH = "二號廠區冷卻水泵浦溫度過高，已達 85 度。泵浦振動異常，維修人員正在前往現場。"
ANALYSIS = {
    "summary": "二號廠區泵浦過熱且振動異常。",
    "keywords": ["泵浦", "溫度", "振動"],
    "categories": ["temperature", "hardware"],
    "severity": "critical",
    "sentiment": "negative",
    "next_steps": ["檢查冷卻系統", "安排停機檢修"],
}


def test_summarize_sends_ollama_chat_and_returns_its_reply(make_client, ollama):
    ollama.chat_reply = lambda prompt: "  泵浦過熱，維修中。 "
    client = make_client(ollama_url=ollama.url)

    response = client.post("/v1/summarize", json={"text": ALERT_TEXT_ZH})

    assert response.status_code == 200
    body = response.json()
    assert body["backend"] == "ollama"
    assert body["model"] == "qwen2.5:7b-instruct"
    assert body["summary"] == "泵浦過熱，維修中。"
    assert body["language"] == "zh-TW" and body["truncated"] is False
    [sent] = ollama.posts("/api/chat")
    assert sent["body"]["model"] == "qwen2.5:7b-instruct"
    assert sent["body"]["stream"] is False
    assert sent["body"]["messages"][0]["role"] == "user"
    prompt = sent["body"]["messages"][0]["content"]
    assert ALERT_TEXT_ZH in prompt
    assert "繁體中文" in prompt and "最多 3 句" in prompt


def test_summarize_in_english_uses_the_english_template(make_client, ollama):
    client = make_client(ollama_url=ollama.url)

    body = client.post("/v1/summarize", json={"text": "Pump 3 is hot.", "language": "en", "max_sentences": 2}).json()

    assert body["backend"] == "ollama" and body["language"] == "en"
    prompt = ollama.posts("/api/chat")[0]["body"]["messages"][0]["content"]
    assert "in English in at most 2 sentences" in prompt


def test_analyze_asks_for_json_and_tolerates_prose_and_fences(make_client, ollama):
    ollama.chat_reply = lambda prompt: "好的，以下是分析結果：\n```json\n" + json.dumps(ANALYSIS, ensure_ascii=False) + "\n```\n希望有幫助。"
    client = make_client(ollama_url=ollama.url)

    body = client.post("/v1/analyze", json={"text": ALERT_TEXT_ZH}).json()

    assert body["backend"] == "ollama"
    for field in ("summary", "keywords", "categories", "severity", "sentiment", "next_steps"):
        assert body[field] == ANALYSIS[field]
    assert body["fallback_fields"] == []
    sent = ollama.posts("/api/chat")[0]["body"]
    assert sent["format"] == "json"
    assert '"next_steps"' in sent["messages"][0]["content"]


def test_generate_returns_the_model_text(make_client, ollama):
    ollama.chat_reply = lambda prompt: "Dear operator, pump 3 needs attention."
    client = make_client(ollama_url=ollama.url)

    body = client.post("/v1/generate", json={"prompt": "Rewrite for the night shift: pump 3 hot", "language": "en"}).json()

    assert body == {
        "backend": "ollama", "model": "qwen2.5:7b-instruct", "language": "en", "truncated": False,
        "warnings": [], "text": "Dear operator, pump 3 needs attention.",
    }
    assert "Rewrite for the night shift" in ollama.posts("/api/chat")[0]["body"]["messages"][0]["content"]


def test_embeddings_send_ollama_embed_with_all_inputs(make_client, ollama):
    client = make_client(ollama_url=ollama.url)

    body = client.post("/v1/embeddings", json={"input": ["泵浦過熱", "pump hot"]}).json()

    assert body["backend"] == "ollama" and body["model"] == "bge-m3"
    assert body["dimension"] == 3 and len(body["embeddings"]) == 2
    [sent] = ollama.posts("/api/embed")
    assert sent["body"] == {"model": "bge-m3", "input": ["泵浦過熱", "pump hot"]}


def test_a_single_string_embeds_to_one_vector(make_client, ollama):
    client = make_client(ollama_url=ollama.url)

    body = client.post("/v1/embeddings", json={"input": "pump hot", "language": "en"}).json()

    assert len(body["embeddings"]) == 1
    assert ollama.posts("/api/embed")[0]["body"]["input"] == ["pump hot"]


def test_healthz_reports_ollama_when_it_answers(make_client, ollama):
    body = make_client(ollama_url=ollama.url).get("/healthz").json()

    assert body["status"] == "ok" and body["backend"] == "ollama"
    assert body["backends"] == [{"name": "ollama", "url": ollama.url, "ok": True, "error": None}]


def test_traceparent_is_forwarded_to_the_backend(make_client, ollama):
    traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    client = make_client(ollama_url=ollama.url)

    client.post("/v1/summarize", json={"text": "pump hot"}, headers={"traceparent": traceparent})

    assert ollama.posts("/api/chat")[0]["headers"].get("traceparent") == traceparent


def test_unknown_language_is_rejected_naming_the_field(make_client, ollama):
    response = make_client(ollama_url=ollama.url).post("/v1/summarize", json={"text": "x", "language": "fr"})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "language"]
    assert ollama.requests == []


def test_openapi_lists_every_endpoint(make_client):
    paths = make_client().get("/openapi.json").json()["paths"]

    assert {"/healthz", "/v1/summarize", "/v1/analyze", "/v1/generate", "/v1/embeddings"} <= set(paths)


def test_metrics_count_answers_by_backend(make_client, ollama, down_url):
    client = make_client(ollama_url=ollama.url)
    client.post("/v1/summarize", json={"text": "pump hot"})
    client.post("/v1/embeddings", json={"input": "pump hot"})

    text = client.get("/metrics").text

    assert 'detectviz_llm_answers_total{endpoint="summarize",backend="ollama"} 1' in text
    assert 'detectviz_llm_answers_total{endpoint="embeddings",backend="ollama"} 1' in text

    down = make_client(ollama_url=down_url)
    down.post("/v1/analyze", json={"text": "pump hot"})
    text = down.get("/metrics").text
    assert 'detectviz_llm_answers_total{endpoint="analyze",backend="fallback"} 1' in text
    assert 'detectviz_llm_backend_failures_total{backend="ollama"} 1' in text
