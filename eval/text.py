"""Text helpers for answer matching: normalisation, CJK detection, citation markers."""

from __future__ import annotations

import re
import unicodedata

_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# [1], [1, 2], [1][2]; full-width brackets and separators too (hosted models use them in Chinese).
_CITATION_RE = re.compile(r"[\[【［]\s*(\d+(?:\s*[,，、]\s*\d+)*)\s*[\]】］]")
_NUMBER_RE = re.compile(r"\d+")


def has_cjk(text: str) -> bool:
    return _CJK_RE.search(text) is not None


def normalize(text: str) -> str:
    """Case-folded, NFKC (full-width -> half-width), punctuation and symbols turned into spaces,
    whitespace collapsed. Chinese keeps its characters; only the spacing around them changes."""
    text = unicodedata.normalize("NFKC", text).casefold()
    kept = [" " if unicodedata.category(ch)[0] in "PSZC" else ch for ch in text]
    return " ".join("".join(kept).split())


def contains(answer: str, alias: str) -> bool:
    """Whether the normalised alias occurs in the normalised answer.

    Chinese (any CJK in the alias): plain substring with spaces removed, since Chinese has no word
    boundaries. Otherwise whole words only, so "no" does not match "not" or "know".
    """
    norm_alias, norm_answer = normalize(alias), normalize(answer)
    if not norm_alias:
        return False
    if has_cjk(norm_alias):
        return norm_alias.replace(" ", "") in norm_answer.replace(" ", "")
    return f" {norm_alias} " in f" {norm_answer} "


def citation_numbers(text: str) -> list[int]:
    """Every citation number in the text, in order of appearance (repeats kept)."""
    return [int(n) for group in _CITATION_RE.findall(text) for n in _NUMBER_RE.findall(group)]
