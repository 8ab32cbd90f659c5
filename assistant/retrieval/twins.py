"""Twins: the same passage written in both languages of a bilingual help centre.

A bilingual help centre writes most pages twice. A question in one language often retrieves a
page and its translation together, and the translation then takes a place among the few passages
the judge reads and the answer quotes from, with words the lexicon finds in it loosely ("Taiwan
dollars" in 新台币元 for a currency-conversion question). A passage in the other language is the
twin of one in the question's language when that one writes every name, code and figure it writes
(at least MIN_TWIN_TOKENS of them): names and numbers are written the same in both languages.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.types import Passage

MIN_TWIN_TOKENS = 2  # fewer say too little to tell a translation from another page
# The names, codes and figures a text writes in Latin script or digits, in either language.
_LATIN_TOKEN_RE = re.compile(r"[A-Za-z][A-Za-z0-9&+-]*|\d+(?:[.,]\d+)*")
_FIGURE_RE = re.compile(r"\d+(?:[.,]\d+)*")


def names_and_figures(text: str) -> set[str]:
    """The figures and the capitalised or coded Latin words of a text ("Visa", "PayNow", "LH-200"),
    in lower case; not its first word, capitalised as any sentence's is."""
    found = [(m.start(), m.group(0)) for m in _LATIN_TOKEN_RE.finditer(text)]
    return {
        token.lower()
        for start, token in found
        if token[0].isdigit() or (any(ch.isupper() or ch.isdigit() for ch in token) and text[:start].strip())
    }


def latin_tokens(text: str) -> set[str]:
    """Every Latin word and figure of a text, in lower case."""
    return {t.lower() for t in _LATIN_TOKEN_RE.findall(text)}


def twin_by_figures(record: Passage, read: Sequence[Passage], lang: str) -> bool:
    """Whether a passage in `lang` among `read` states the record's figures, all and only them, in
    order: a table row's twin, whose headers (capitalised in English, "Closes") are words the
    other language does not write, so says_what cannot tell it."""
    figures = _FIGURE_RE.findall(record.text)
    return any(p.lang == lang and _FIGURE_RE.findall(p.text) == figures for p in read)


def says_what(translation: str, original: str) -> bool:
    """Whether `translation` writes nothing by name or figure that `original` does not, and enough
    to tell (MIN_TWIN_TOKENS)."""
    return _told_by(names_and_figures(translation), latin_tokens(original))


def _told_by(tokens: set[str], written: set[str]) -> bool:
    return len(tokens) >= MIN_TWIN_TOKENS and tokens <= written


def without_twins(passages: Sequence[Passage], lang: str) -> list[Passage]:
    """The passages without those in the other language than `lang` whose twin in `lang` ranks
    above them: the customer's own language says it, and the translation adds nothing. Each
    passage's tokens are read once (this runs on every retrieval)."""
    kept: list[Passage] = []
    own_tokens: list[set[str]] = []  # latin_tokens of the kept passages in `lang`
    for passage in passages:
        if passage.lang == lang:
            own_tokens.append(latin_tokens(passage.text))
        elif own_tokens:
            tokens = names_and_figures(passage.text)
            if any(_told_by(tokens, written) for written in own_tokens):
                continue
        kept.append(passage)
    return kept
