"""Places: a city or country a customer names, held by a passage that names its country or a
region holding it.

Help centres price and serve by country and region ("Japan and Korea", "东南亚", "大陆、日韩及东南亚
航线"); customers name where they are going ("a flight to Tokyo", "寄去大阪", "飞曼谷"). Without
knowing that Tokyo is in Japan, the answerability judge counts "Tokyo" as a name the knowledge
base lacks (a near miss's sign) and the answer step finds no row the question names. places.txt,
shipped beside this module, lists countries, regions and the larger cities with their English and
Chinese names (its header says where they come from). A question's place is held by a text naming
the place itself, its country, or a region its country belongs to; a place no text covers ("How
much is shipping to Canada?" over rates for Asia) stays missing.

English names are matched as written, capitalised (so "a nice gift" names no French city);
Chinese names as substrings, those that are also everyday words left out of the file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

from assistant.retrieval.text import key_terms
from ingest.errors import InvalidInput
from ingest.text import CJK_RUN_RE

PLACES_FILE = Path(__file__).with_name("places.txt")


class PlacesFileError(InvalidInput, ValueError):
    """A line of places.txt that cannot be read; the message names it."""


@dataclass(frozen=True)
class Gazetteer:
    places: dict[str, str]  # a name a customer may write -> its country (ISO code)
    covers: dict[str, frozenset[str]]  # a name a text may write -> the countries it covers

    @cached_property
    def vocabulary(self) -> Mapping[str, object]:
        return self.places | self.covers

    def named(self, text: str) -> list[tuple[str, str]]:
        """(name as written, country) of each place the text names, in order."""
        # Read with the regions' names too: "South America" names no "America".
        return [(name, self.places[name]) for name in _names_in(text, self.vocabulary) if name in self.places]

    def covered(self, text: str) -> frozenset[str]:
        """The countries a text names, itself or through a region holding them."""
        return frozenset(code for name in _names_in(text, self.covers) for code in self.covers[name])

    def held_names(self, question: str, text: str) -> list[str]:
        """The places the question names (as written) whose country the text covers: "Tokyo" of
        "a flight to Tokyo" in "Japan and Korea: NT$600"."""
        named = self.named(question)
        if not named:
            return []
        covered = self.covered(text)
        return [name for name, code in named if code in covered]

    def held(self, question: str, question_terms: Iterable[str], text: str) -> set[str]:
        """The question's key terms (of question_terms) that held_names are written with."""
        terms = set(question_terms)
        return {t for name in self.held_names(question, text) for t in key_terms(name) if t in terms}


# An English name: up to MAX_NAME_WORDS words, each capitalised or a linking word ("United Arab
# Emirates", "Bosnia and Herzegovina"); looked up longest first at each word.
MAX_NAME_WORDS = 5
MAX_CHINESE_NAME = 8
_WORD_RE = re.compile(r"[A-Za-z][\w.'’-]*")


def _names_in(text: str, names: Mapping[str, object]) -> list[str]:
    """The names (keys of `names`) a text writes, longest first where they overlap: "South
    America" and not its "America"; "中国大陆", not its "中国"."""
    found: list[tuple[int, str]] = []
    words = list(_WORD_RE.finditer(text))
    i = 0
    while i < len(words):
        for n in range(min(MAX_NAME_WORDS, len(words) - i), 0, -1):
            start, end = words[i].start(), words[i + n - 1].end()
            candidate = text[start:end]
            if candidate in names:
                found.append((start, candidate))
                i += n
                break
            if candidate.rstrip(".") in names:  # "the U.S." at the end of a sentence
                found.append((start, candidate.rstrip(".")))
                i += n
                break
        else:
            i += 1
    for run in CJK_RUN_RE.finditer(text):
        chars, j = run.group(), 0
        while j < len(chars):
            for n in range(min(MAX_CHINESE_NAME, len(chars) - j), 1, -1):
                if chars[j : j + n] in names:
                    found.append((run.start() + j, chars[j : j + n]))
                    j += n
                    break
            else:
                j += 1
    return [name for _, name in sorted(found)]


def parse_places(lines: Iterable[str]) -> Gazetteer:
    """The gazetteer of places.txt's lines (see its header)."""
    continents: dict[str, set[str]] = {}
    places: dict[str, str] = {}
    covers: dict[str, set[str]] = {}
    regions: list[tuple[list[str], list[str]]] = []
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        head, _, rest = line.partition("|")
        fields, names = head.split(), [n.strip() for n in rest.split("|") if n.strip()]
        if len(fields) < 2 or not names or fields[0] not in ("C", "R", "P"):
            raise PlacesFileError(f"places.txt line {number}: expected 'C|R|P <codes> | names': {line!r}")
        kind, codes = fields[0], fields[1:]
        if kind == "R":
            regions.append((codes, names))
            continue
        code = codes[0]
        if kind == "C" and len(codes) > 1:
            continents.setdefault(codes[1], set()).add(code)
        for name in names:
            places.setdefault(name, code)
            if kind == "C":
                covers.setdefault(name, set()).add(code)
    for members, names in regions:
        countries = {c for m in members for c in (continents.get(m[1:], set()) if m.startswith("@") else {m})}
        for name in names:
            covers.setdefault(name, set()).update(countries)
    return Gazetteer(places, {name: frozenset(codes) for name, codes in covers.items()})


@cache
def gazetteer() -> Gazetteer:
    return parse_places(PLACES_FILE.read_text(encoding="utf-8").splitlines())
