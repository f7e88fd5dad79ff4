"""Template rendering in both languages and the token budget with its truncation marker."""

from __future__ import annotations

from pathlib import Path

import pytest

from detectviz_llm.config import DEFAULT_TEMPLATES_DIR, ConfigError, Settings
from detectviz_llm.prompts import (
    TRUNCATION_MARKER, PromptTemplates, TemplateError, apply_budget, estimate_tokens,
)


@pytest.mark.parametrize("task", ["summarize", "analyze", "generate"])
@pytest.mark.parametrize("language", ["zh-TW", "en"])
def test_every_shipped_template_renders_without_leftover_placeholders(task, language):
    templates = PromptTemplates(DEFAULT_TEMPLATES_DIR)

    prompt = templates.render(task, language, apply_budget("泵浦 pump", 100), max_sentences=3)

    assert "泵浦 pump" in prompt
    assert "$" not in prompt


def test_tokens_are_approximated_from_characters():
    assert estimate_tokens("abcdefgh") == 2
    assert estimate_tokens("溫度過高") == 4
    assert estimate_tokens("溫度 high") == 2 + 2


def test_text_within_budget_is_left_alone():
    budgeted = apply_budget("short text", 100)
    assert budgeted.text == "short text" and budgeted.truncated is False


def test_text_over_budget_is_cut_and_marked():
    budgeted = apply_budget("溫度過高。" * 100, 50)

    assert budgeted.truncated is True
    assert budgeted.text.endswith(TRUNCATION_MARKER)
    assert budgeted.text.startswith("溫度過高。" * 10)
    assert budgeted.estimated_tokens <= 50 + estimate_tokens("\n" + TRUNCATION_MARKER)


@pytest.mark.parametrize(("language", "note"), [("zh-TW", "已截斷"), ("en", "has been truncated")])
def test_over_budget_input_is_marked_in_the_prompt_sent_to_the_model(make_client, ollama, language, note):
    client = make_client(ollama_url=ollama.url, max_input_tokens=40)
    text = "Pump 3 temperature is above its limit. " * 50

    body = client.post("/v1/summarize", json={"text": text, "language": language}).json()

    assert body["truncated"] is True
    prompt = ollama.posts("/api/chat")[0]["body"]["messages"][0]["content"]
    assert TRUNCATION_MARKER in prompt and note in prompt
    assert len(prompt) < len(text)


def test_templates_come_from_the_configured_directory(make_client, ollama, tmp_path: Path):
    (tmp_path / "summarize.en.txt").write_text("SITE TEMPLATE: $text", encoding="utf-8")
    client = make_client(ollama_url=ollama.url, templates_dir=tmp_path)

    client.post("/v1/summarize", json={"text": "pump hot", "language": "en"})

    assert ollama.posts("/api/chat")[0]["body"]["messages"][0]["content"] == "SITE TEMPLATE: pump hot\n"


def test_a_missing_template_is_an_error_naming_the_file(tmp_path: Path):
    with pytest.raises(TemplateError, match="summarize.zh-TW.txt"):
        PromptTemplates(tmp_path).load("summarize", "zh-TW")


def test_settings_from_the_environment(tmp_path: Path):
    settings = Settings.from_environment({
        "DETECTVIZ_LLM_OLLAMA_URL": "http://gpu-box:11434/",
        "DETECTVIZ_LLM_MODEL": "llama3.1:8b",
        "DETECTVIZ_LLM_OPENAI_URL": "http://vllm:8000/v1",
        "DETECTVIZ_LLM_OPENAI_API_KEY": "sk-secret",
        "DETECTVIZ_LLM_BACKENDS": "openai, ollama",
        "DETECTVIZ_LLM_TIMEOUT_SECONDS": "12.5",
        "DETECTVIZ_LLM_MAX_INPUT_TOKENS": "800",
        "DETECTVIZ_LLM_TEMPLATES_DIR": str(tmp_path),
    })
    assert settings.ollama_url == "http://gpu-box:11434"
    assert settings.openai_model == "llama3.1:8b"
    assert settings.backend_order == ("openai", "ollama")
    assert settings.timeout_seconds == 12.5 and settings.max_input_tokens == 800
    assert settings.templates_dir == tmp_path
    assert "sk-secret" not in repr(settings)


def test_the_default_templates_dir_is_in_the_repository():
    assert DEFAULT_TEMPLATES_DIR.parts[-4:] == ("conf", "provisioning", "templates", "llm")
    assert (DEFAULT_TEMPLATES_DIR / "analyze.zh-TW.txt").is_file()


@pytest.mark.parametrize(("name", "value", "message"), [
    ("DETECTVIZ_LLM_BACKENDS", "ollama,claude", "unknown backend 'claude'"),
    ("DETECTVIZ_LLM_TIMEOUT_SECONDS", "soon", "expected a float"),
    ("DETECTVIZ_LLM_RETRIES", "-1", "must not be negative"),
])
def test_bad_settings_name_the_variable(name, value, message):
    with pytest.raises(ConfigError, match=f"{name}: .*{message}"):
        Settings.from_environment({name: value})
