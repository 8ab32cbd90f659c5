"""Acronyms a question writes in capitals ("SLA", "IDD", "SSOs") and the words that spell them out.

A help centre often writes a term out in a page's title ("Uptime service level agreement") and
never as its acronym, while customers write the acronym. Neither BM25 (no such word) nor the
embedder (multilingual-e5-small puts "SLA" next to "SSO") finds the page from it. So retrieval
searches with the acronym's spelled-out words when the knowledge base lacks the acronym itself
and one of its document titles spells it out; the answerability judge counts the acronym as found
in a passage that spells it out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

# Compared in lower case, as key_terms gives words.
_ACRONYM_RE = re.compile(r"\b([A-Z]{2,5})s?\b")
# Two letters are spelled out by chance too often ("UK" by "Using Klarna") to search with.
MIN_SEARCHED_LETTERS = 3
_WORD_RE = re.compile(r"[A-Za-z]+")
_FUNCTION_WORDS = frozenset(
    "a an and are as at be by for from if in into is it of or our the their to we with you your".split()
)


def acronyms(question: str) -> frozenset[str]:
    """The acronyms the question writes in capitals, in lower case."""
    return frozenset(a.lower() for a in _ACRONYM_RE.findall(question))


def spelled_out(acronym: str, text: str) -> str | None:
    """The consecutive words of the text whose initials are the acronym's letters, if any; not
    words a sentence joins with ("use soap and" is no spelling of "USA")."""
    words = _WORD_RE.findall(text)
    initials = "".join(word[0] for word in words).lower()
    start = initials.find(acronym)
    while start >= 0:
        spelling = words[start : start + len(acronym)]
        if not {w.lower() for w in spelling} & _FUNCTION_WORDS:
            return " ".join(spelling)
        start = initials.find(acronym, start + 1)
    return None


def with_acronyms_spelled_out(query: str, titles: Iterable[str], known: Callable[[str], bool]) -> str:
    """The query with the spelled-out words after each acronym of three or more letters that is
    no word of the knowledge base (known) and that a document title spells out: "When did the
    current SLA take effect?" -> "When did the current SLA (service level agreement) take
    effect?". Written in place, so a condensed query's context stays at its end."""
    missing = [a for a in sorted(acronyms(query)) if len(a) >= MIN_SEARCHED_LETTERS and not known(a)]
    if not missing:
        return query
    titles = list(titles)
    for acronym in missing:
        spelling = next((s for title in titles if (s := spelled_out(acronym, title))), None)
        if spelling is None or spelling.lower() in query.lower():
            continue
        written = re.search(rf"\b{acronym.upper()}s?\b", query)
        if written is not None:
            query = f"{query[: written.end()]} ({spelling.lower()}){query[written.end() :]}"
    return query
