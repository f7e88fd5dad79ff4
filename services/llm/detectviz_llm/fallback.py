"""Deterministic extractive fallback used when no model backend answers.

- Terms: lowercased Latin words (stop words dropped) and, for CJK runs, known domain words
  plus character bigrams, so Traditional Chinese needs no segmenter.
- Summary: sentences scored by the mean frequency of their terms, the best kept in text order.
- Keywords: most frequent terms (domain words first on ties).
- Severity and categories: keyword rules in English and Traditional Chinese.
- Embeddings: hashed bag of terms (blake2b) into a fixed dimension, L2-normalised.
Same input, same output: no randomness and no clock.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter

from .prompts import is_cjk

ENGLISH_STOP_WORDS = frozenset(
    "a an and are as at be been but by for from has have in into is it its of on or that the this to "
    "was were will with not no after before than then there their was which while when who what all "
    "any can could should would may might also over under about again".split()
)
CJK_STOP_CHARACTERS = frozenset("的了是在與和及或也就都而且但為於把被這那其之個一有我你他她它們請")
DOMAIN_WORDS_ZH = (
    "溫度", "壓力", "馬達", "電源", "電壓", "電流", "斷電", "網路", "斷線", "離線", "連線", "告警", "警報",
    "設備", "感測器", "伺服器", "磁碟", "記憶體", "通訊", "逾時", "故障", "異常", "過高", "過低", "過熱",
    "洩漏", "火警", "停機", "重啟", "冷卻", "風扇", "泵浦", "閥門", "流量", "液位", "振動", "轉速", "溼度", "濕度",
)

SEVERITY_RULES: dict[str, tuple[str, ...]] = {
    "critical": (
        "critical", "fatal", "emergency", "outage", "down", "fire", "leak", "explosion", "shutdown", "failed",
        "failure", "overheat", "嚴重", "緊急", "危急", "火警", "洩漏", "爆炸", "停機", "斷電", "故障", "失效", "過熱",
    ),
    "warning": (
        "warning", "warn", "high", "low", "degraded", "timeout", "retry", "unstable", "slow", "threshold",
        "error", "anomaly", "offline", "unreachable", "loss", "警告", "離線", "斷線", "過高", "過低", "逾時", "異常", "不穩", "緩慢", "門檻", "錯誤", "偏高", "偏低",
    ),
}
CATEGORY_RULES: dict[str, tuple[str, ...]] = {
    "temperature": ("temperature", "overheat", "cooling", "fan", "溫度", "過熱", "冷卻", "風扇"),
    "pressure": ("pressure", "psi", "bar", "壓力"),
    "power": ("power", "voltage", "current", "ups", "電源", "電壓", "電流", "斷電"),
    "network": ("network", "timeout", "offline", "unreachable", "packet", "snmp", "網路", "斷線", "離線", "逾時", "通訊"),
    "hardware": ("motor", "pump", "valve", "disk", "sensor", "vibration", "馬達", "泵浦", "閥門", "磁碟", "感測器", "振動"),
    "software": ("exception", "crash", "process", "service", "memory", "restart", "程式", "服務", "記憶體", "重啟"),
    "security": ("login", "unauthorized", "intrusion", "password", "登入", "未授權", "入侵", "密碼"),
    "process": ("flow", "level", "batch", "production", "流量", "液位", "批次", "產線"),
}
NEXT_STEPS = {
    "en": {
        "temperature": "Check cooling and fans on the affected device and compare with recent temperature trends.",
        "pressure": "Verify the pressure reading on site and inspect valves and lines for blockage or leaks.",
        "power": "Check the power supply, UPS and breakers feeding the affected equipment.",
        "network": "Check network links and the device's reachability (ping, SNMP) from the collector.",
        "hardware": "Inspect the affected hardware on site and review its maintenance history.",
        "software": "Review the service logs around the event time and restart the service if it is hung.",
        "security": "Review recent logins and access logs and lock accounts that look compromised.",
        "process": "Compare process values with the recipe limits and inform the shift supervisor.",
        "other": "Review the related alerts and logs and confirm the situation on site.",
    },
    "zh-TW": {
        "temperature": "檢查受影響設備的冷卻系統與風扇，並比對近期溫度趨勢。",
        "pressure": "至現場確認壓力讀值，檢查閥門與管線是否阻塞或洩漏。",
        "power": "檢查供應受影響設備的電源、UPS 與斷路器。",
        "network": "從收集端檢查網路連線與設備可達性（ping、SNMP）。",
        "hardware": "至現場檢查受影響的硬體，並查閱其維護紀錄。",
        "software": "查閱事件時間前後的服務日誌，若服務無回應則重新啟動。",
        "security": "檢查近期登入與存取紀錄，鎖定疑似遭盜用的帳號。",
        "process": "將製程數值與配方上下限比對，並通知當班主管。",
        "other": "檢視相關告警與日誌，並至現場確認狀況。",
    },
}

_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])|(?<=\.)\s+|\n+")
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_\-]*[A-Za-z0-9]|[A-Za-z]")


def split_sentences(text: str) -> list[str]:
    """Splits on Chinese and Latin sentence ends and line breaks; drops empty pieces."""
    return [piece.strip() for piece in _SENTENCE_END.split(text) if piece and piece.strip()]


def terms(text: str) -> list[str]:
    """Terms of `text`: Latin words and, for CJK runs, domain words and character bigrams."""
    found = [word.lower() for word in _LATIN_WORD.findall(text) if word.lower() not in ENGLISH_STOP_WORDS and len(word) > 1]
    for run in re.findall(r"[\u3400-\u9fff\uf900-\ufaff]+", text):
        found.extend(word for word in DOMAIN_WORDS_ZH if word in run for _ in range(run.count(word)))
        for index in range(len(run) - 1):
            bigram = run[index:index + 2]
            if not (set(bigram) & CJK_STOP_CHARACTERS) and bigram not in DOMAIN_WORDS_ZH:
                found.append(bigram)
    return found


def summarize(text: str, max_sentences: int = 3) -> str:
    """The `max_sentences` highest-scoring sentences, in their original order."""
    sentences = split_sentences(text)
    if len(sentences) <= max_sentences:
        return _join(sentences)
    frequencies = Counter(terms(text))
    scored = []
    for position, sentence in enumerate(sentences):
        sentence_terms = terms(sentence)
        score = sum(frequencies[term] for term in sentence_terms) / math.sqrt(len(sentence_terms)) if sentence_terms else 0.0
        scored.append((score, -position, position))
    best = sorted(scored, reverse=True)[:max_sentences]
    return _join([sentences[position] for _, _, position in sorted(best, key=lambda item: item[2])])


def _join(sentences: list[str]) -> str:
    joined = ""
    for sentence in sentences:
        if joined and not (is_cjk(joined[-1]) and is_cjk(sentence[0])):
            joined += " "
        joined += sentence
    return joined


def keywords(text: str, limit: int = 8) -> list[str]:
    """Most frequent terms; domain words first among equals; bigrams inside a chosen domain word skipped."""
    counts = Counter(terms(text))
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0] not in DOMAIN_WORDS_ZH, item[0]))
    chosen: list[str] = []
    for term, count in ranked:
        if any(term in earlier for earlier in chosen):
            continue
        if count < 2 and len(chosen) >= limit // 2 and not term.isascii() and term not in DOMAIN_WORDS_ZH:
            continue
        chosen.append(term)
        if len(chosen) == limit:
            break
    return chosen


def _contains(text: str, word: str) -> bool:
    if word.isascii():
        return re.search(rf"\b{re.escape(word)}(?:s|es|ed|d|ing)?\b", text) is not None
    return word in text


def severity(text: str) -> str:
    """`critical`, `warning` or `info` by the first rule set with a matching word."""
    lowered = text.lower()
    for level in ("critical", "warning"):
        if any(_contains(lowered, word) for word in SEVERITY_RULES[level]):
            return level
    return "info"


def categories(text: str) -> list[str]:
    """Categories whose words appear in `text`, or `["other"]`."""
    lowered = text.lower()
    found = [name for name, words in CATEGORY_RULES.items() if any(_contains(lowered, word) for word in words)]
    return found or ["other"]


def sentiment(level: str) -> str:
    """Alerts are bad news unless informational."""
    return "neutral" if level == "info" else "negative"


def next_steps(found_categories: list[str], language: str) -> list[str]:
    """One canned step per category, in the request's language."""
    steps = NEXT_STEPS[language]
    return [steps[name] for name in found_categories if name in steps][:5]


def embedding(text: str, dimension: int = 256) -> list[float]:
    """Hashed bag of terms: each term adds ±1 to one of `dimension` slots; L2-normalised."""
    vector = [0.0] * dimension
    for term in terms(text):
        digest = hashlib.blake2b(term.encode("utf-8"), digest_size=8).digest()
        slot = int.from_bytes(digest[:4], "big") % dimension
        vector[slot] += 1.0 if digest[4] & 1 else -1.0
    norm = math.sqrt(sum(value * value for value in vector))
    return [round(value / norm, 6) for value in vector] if norm else vector
