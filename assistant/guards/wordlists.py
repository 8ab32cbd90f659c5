"""Bilingual word lists (abuse, sensitive topics, answer policy) and their matcher.

File format (assistant/guards/data/*.txt and user-supplied extra files):
    # comment
    [category]          starts a section; terms before any section get the list's name
    term                one per line, any case, full- or half-width
    fuck*               a trailing * matches any word ending (Latin terms only)
Latin terms match whole words only, so "Scunthorpe" or "classic" never match a shorter term;
Chinese terms match as substrings (Chinese has no word boundaries), so list them specific enough.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ingest.config import GuardSettings, get_settings
from assistant.guards.text import normalize

_LATIN_EDGE = re.compile(r"[a-z0-9]")


@dataclass(frozen=True)
class WordHit:
    term: str
    category: str
    list_name: str


def parse_terms(lines: Iterable[str], default_category: str) -> dict[str, str]:
    """{normalised term: category} from word-list lines."""
    terms: dict[str, str] = {}
    category = default_category
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            category = line[1:-1].strip()
            continue
        wildcard = line.endswith("*")
        term = normalize(line.rstrip("*"))
        if term:
            terms[term + ("*" if wildcard else "")] = category
    return terms


def _term_pattern(term: str) -> str:
    wildcard = term.endswith("*")
    body = term.rstrip("*")
    pattern = r"\s+".join(re.escape(part) for part in body.split(" "))
    if wildcard:
        pattern += r"[a-z]*"
    # ASCII word boundaries only where the term itself starts/ends with a Latin letter or digit.
    if _LATIN_EDGE.match(body[0]):
        pattern = r"(?<![a-z0-9])" + pattern
    if wildcard or _LATIN_EDGE.match(body[-1]):
        pattern += r"(?![a-z0-9])"
    return pattern


class WordList:
    """One named list; find() reports each distinct term once, in text order."""

    def __init__(self, name: str, terms: dict[str, str]) -> None:
        self.name = name
        self.terms = terms
        self._order = sorted(terms, key=len, reverse=True)  # longest first: "fuck off" before "fuck*"
        alternation = "|".join(f"({_term_pattern(term)})" for term in self._order)
        self._regex = re.compile(alternation) if alternation else None

    @classmethod
    def load(cls, name: str, extra_files: Iterable[Path] = ()) -> WordList:
        """The built-in data/<name>.txt plus extra files (a missing extra file is an error)."""
        builtin = resources.files("assistant.guards").joinpath(f"data/{name}.txt").read_text(encoding="utf-8")
        terms = parse_terms(builtin.splitlines(), name)
        for path in extra_files:
            terms.update(parse_terms(Path(path).read_text(encoding="utf-8").splitlines(), name))
        return cls(name, terms)

    def find(self, text: str) -> list[WordHit]:
        if self._regex is None:
            return []
        hits: dict[str, WordHit] = {}
        for match in self._regex.finditer(normalize(text)):
            assert match.lastindex is not None  # each term is one group of the alternation
            term = self._order[match.lastindex - 1]
            hits.setdefault(term, WordHit(term.rstrip("*"), self.terms[term], self.name))
        return list(hits.values())


@dataclass
class WordLists:
    abuse: WordList
    sensitive: WordList
    policy: WordList

    @classmethod
    def from_settings(cls, settings: GuardSettings | None = None) -> WordLists:
        settings = settings or get_settings().guards
        return cls(
            abuse=WordList.load("abuse", settings.abuse_files),
            sensitive=WordList.load("sensitive", settings.sensitive_files),
            policy=WordList.load("policy", settings.policy_files),
        )
