"""Text helpers for answer matching: normalisation and alias containment (CJK and citations: ingest.text)."""

from __future__ import annotations

import unicodedata

from ingest.text import has_cjk


def normalize(text: str) -> str:
    """Case-folded, NFKC (full-width -> half-width), punctuation and symbols turned into spaces,
    whitespace collapsed. Chinese keeps its characters; only the spacing around them changes."""
    text = unicodedata.normalize("NFKC", text).casefold()
    kept = [" " if unicodedata.category(ch)[0] in "PSZC" else ch for ch in text]
    return " ".join("".join(kept).split())


def contains(answer: str, alias: str) -> bool:
    """Whether the normalised alias occurs in the normalised answer.

    Chinese (any CJK in the alias): plain substring with spaces removed, since Chinese has no word
    boundaries. Otherwise whole words only, so "no" does not match "not" or "know"; a Chinese
    character next to a word is a boundary ("发送至care@lotushome.sg" holds the address).
    """
    norm_alias, norm_answer = normalize(alias), normalize(answer)
    if not norm_alias:
        return False
    if has_cjk(norm_alias):
        return norm_alias.replace(" ", "") in norm_answer.replace(" ", "")
    spaced = "".join(f" {ch} " if has_cjk(ch) else ch for ch in norm_answer)
    return f" {norm_alias} " in f" {' '.join(spaced.split())} "
