"""The deterministic fallback on Traditional Chinese and English text."""

from __future__ import annotations

from detectviz_llm import fallback

CHINESE_REPORT = (
    "二號廠區的冷卻水泵浦溫度過高，已達 85 度。"
    "泵浦振動異常，維修人員正在前往現場。"
    "今日天氣晴朗。"
    "泵浦溫度持續上升中，若超過 90 度將自動停機。"
)


def test_zh_tw_summary_keeps_the_salient_sentences_in_order(make_client):
    body = make_client().post("/v1/summarize", json={"text": CHINESE_REPORT, "max_sentences": 2}).json()

    assert body["backend"] == "fallback" and body["language"] == "zh-TW"
    assert body["summary"] == "二號廠區的冷卻水泵浦溫度過高，已達 85 度。泵浦溫度持續上升中，若超過 90 度將自動停機。"


def test_zh_tw_keywords_are_words_not_fragments(make_client):
    body = make_client().post("/v1/analyze", json={"text": CHINESE_REPORT}).json()

    assert body["backend"] == "fallback"
    assert body["keywords"][:2] == ["泵浦", "溫度"]
    assert "停機" in body["keywords"]
    assert body["severity"] == "critical"
    assert body["categories"] == ["temperature", "hardware"]
    assert body["next_steps"][0] == fallback.NEXT_STEPS["zh-TW"]["temperature"]


def test_zh_tw_generate_fallback_is_marked(make_client):
    body = make_client().post("/v1/generate", json={"prompt": CHINESE_REPORT}).json()

    assert body["backend"] == "fallback" and "泵浦" in body["text"]


def test_severity_rules_in_both_languages():
    assert fallback.severity("Line 2 conveyor running normally") == "info"
    assert fallback.severity("Boiler pressure high for 5 minutes") == "warning"
    assert fallback.severity("Compressor failed, site outage") == "critical"
    assert fallback.severity("產線二運作正常") == "info"
    assert fallback.severity("鍋爐壓力偏高已五分鐘") == "warning"
    assert fallback.severity("空壓機故障，全廠斷電") == "critical"


def test_english_keywords_drop_stop_words():
    words = fallback.keywords("The pump is hot. The pump is loud. The fan is off.")

    assert words[0] == "pump"
    assert "the" not in words and "is" not in words


def test_embeddings_are_deterministic_fixed_size_and_normalised():
    first = fallback.embedding("泵浦溫度過高", 64)
    again = fallback.embedding("泵浦溫度過高", 64)
    other = fallback.embedding("network switch offline", 64)

    assert first == again and first != other
    assert len(first) == 64 and len(fallback.embedding("", 64)) == 64
    assert abs(sum(value * value for value in first) - 1.0) < 1e-4


def test_similar_texts_embed_closer_than_unrelated_ones():
    def cosine(left: list[float], right: list[float]) -> float:
        return sum(a * b for a, b in zip(left, right))

    base = fallback.embedding("pump 3 temperature high")
    near = fallback.embedding("pump 3 temperature very high")
    far = fallback.embedding("user login failed password")
    assert cosine(base, near) > cosine(base, far)


def test_sentences_split_on_chinese_and_latin_ends():
    assert fallback.split_sentences("溫度過高！請檢查。Fan off. Retry?\n完成") == [
        "溫度過高！", "請檢查。", "Fan off.", "Retry?", "完成",
    ]


def test_english_fallback_analysis_answers_in_english(make_client):
    body = make_client().post("/v1/analyze", json={"text": "Switch 4 is offline. Packet loss on the link.", "language": "en"}).json()

    assert body["backend"] == "fallback" and body["language"] == "en"
    assert body["categories"] == ["network"]
    assert body["next_steps"] == [fallback.NEXT_STEPS["en"]["network"]]
    assert body["severity"] == "warning" and body["sentiment"] == "negative"


def test_empty_text_is_rejected_naming_the_field(make_client):
    response = make_client().post("/v1/summarize", json={"text": ""})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "text"]
