"""Prompt templates and the input token budget.

Templates are plain text files `<task>.<language>.txt` (for example `summarize.zh-TW.txt`)
in the templates directory, rendered with `string.Template` (`$text`, `$truncation_note`,
`$max_sentences`), so JSON examples with braces need no escaping.

Tokens are approximated from characters, not counted by the model's tokenizer: each CJK
character counts as one token and every other four characters as one token. Input over the
budget is cut and the cut is said in the prompt, in the request's language.
"""

from __future__ import annotations

import math
import string
from dataclasses import dataclass
from pathlib import Path

LANGUAGES = ("zh-TW", "en")

TRUNCATION_NOTES = {
    "zh-TW": "（注意：輸入內容過長，已截斷；僅提供前 {kept} 個字元，共 {total} 個字元。請僅依據提供的內容回答。）",
    "en": "(Note: the input was too long and has been truncated; only the first {kept} of {total} characters are included. Answer from the included text only.)",
}
TRUNCATION_MARKER = "[…truncated…]"


class TemplateError(LookupError):
    """A prompt template is missing or cannot be read."""


@dataclass(frozen=True)
class BudgetedText:
    """Input text after the token budget: what is sent, and whether it was cut."""

    text: str
    truncated: bool
    original_characters: int
    estimated_tokens: int


def is_cjk(character: str) -> bool:
    """True for CJK ideographs, kana, hangul and full-width punctuation."""
    code = ord(character)
    return (
        0x3000 <= code <= 0x9FFF
        or 0xAC00 <= code <= 0xD7AF
        or 0xF900 <= code <= 0xFAFF
        or 0xFF00 <= code <= 0xFFEF
        or 0x20000 <= code <= 0x2FA1F
    )


def estimate_tokens(text: str) -> int:
    """Approximate token count from characters: one per CJK character, one per four others."""
    cjk = sum(1 for character in text if is_cjk(character))
    return cjk + math.ceil((len(text) - cjk) / 4)


def apply_budget(text: str, max_tokens: int) -> BudgetedText:
    """Keeps the head of `text` within `max_tokens` (approximate) and marks a cut with a marker."""
    total_tokens = estimate_tokens(text)
    if max_tokens <= 0 or total_tokens <= max_tokens:
        return BudgetedText(text, False, len(text), total_tokens)
    spent = 0.0
    cut_at = 0
    for index, character in enumerate(text):
        spent += 1.0 if is_cjk(character) else 0.25
        if spent > max_tokens:
            break
        cut_at = index + 1
    kept = text[:cut_at].rstrip() + "\n" + TRUNCATION_MARKER
    return BudgetedText(kept, True, len(text), estimate_tokens(kept))


class PromptTemplates:
    """Loads `<task>.<language>.txt` from a directory, re-reading a file when it changes."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self._cache: dict[Path, tuple[float, string.Template]] = {}

    def path_for(self, task: str, language: str) -> Path:
        return self.directory / f"{task}.{language}.txt"

    def load(self, task: str, language: str) -> string.Template:
        path = self.path_for(task, language)
        try:
            modified = path.stat().st_mtime
        except OSError as error:
            raise TemplateError(f"prompt template {path} is missing: {error.strerror}") from error
        cached = self._cache.get(path)
        if cached and cached[0] == modified:
            return cached[1]
        template = string.Template(path.read_text(encoding="utf-8"))
        self._cache[path] = (modified, template)
        return template

    def render(self, task: str, language: str, budgeted: BudgetedText, **values: object) -> str:
        """Renders a template with the budgeted text and, when cut, the truncation note."""
        note = ""
        if budgeted.truncated:
            note = TRUNCATION_NOTES[language].format(
                kept=len(budgeted.text) - len(TRUNCATION_MARKER) - 1, total=budgeted.original_characters
            )
        template = self.load(task, language)
        return template.safe_substitute(text=budgeted.text, truncation_note=note, **values).strip() + "\n"
