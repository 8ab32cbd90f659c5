"""A Chinese-English word lexicon, so key words can be compared across the two languages.

A help centre often answers in one language only: "电子礼品卡面额范围是多少？" is answered by an
English FAQ row on e-gift card values, "Is mainland China VAT supported?" by a Chinese table row.
Embeddings bridge the languages for retrieval, but the answerability judge also asks whether the
passage holds what the question names, and "面额" is no English word. The lexicon says which
English words a Chinese word means and which Chinese words an English word can be.

The data is CC-CEDICT (CC BY-SA 3.0), as shipped inside the `pinyin` package on PyPI
(pinyin/cedict.txt.gz, about 115,000 entries): nothing is downloaded. Parsing it takes about a
second and a half, so the parsed lexicon is cached under kefu's data directory (retrieval.packaged_data); a
cached load takes about 0.06 s.

Entries are read for matching, not translation: English glosses are reduced to their stemmed
content words (retrieval.text.stem, as passages are), parenthesised notes and cross-references
("CL:", "variant of", "see ...") dropped, an acronym in a note kept ("value-added tax (VAT)").
English -> Chinese lists a Chinese word of two or more characters under an English word only
through a gloss of at most two content words ("过滤: to filter" under "filter"; not "长途: long
distance travel" under "travel"): a longer gloss describes the word rather than translating it,
and a single character is part of too many words to be looked for in a text.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from assistant.retrieval import packaged_data
from assistant.retrieval.hanzi import CEDICT_FILE, CEDICT_PACKAGE, cedict_lines
from assistant.retrieval.text import EN_KEY_STOP_WORDS, key_terms, normalise, prefix_match, stem, term_found
from ingest.text import CJK_RUN_RE

FORMAT_VERSION = 3
MAX_GLOSS_WORDS = 2  # a gloss longer than this describes the word rather than translating it
# Searching a Chinese word in English text reads glosses of up to three words ("to check out of a
# hotel room": check, hotel, room); a longer one describes ("Hainan Province, in the South China
# Sea" would find "mainland China").
MAX_SEARCH_GLOSS_WORDS = 3
MIN_ZH_CHARS = 2

_ENTRY_RE = re.compile(r"^(\S+) (\S+) \[[^\]]*\] /(.+)/\s*$")
_NOTE_RE = re.compile(r"\([^)]*\)")
_WORD_RE = re.compile(r"[a-z]+")
_ACRONYM_NOTE_RE = re.compile(r"\(([A-Z]{2,6})\)")
_SKIPPED_GLOSSES = (
    "cl:",
    "see ",
    "variant of",
    "old variant",
    "abbr. for",
    "surname ",
    "used in",
)


@dataclass(frozen=True)
class BilingualLexicon:
    # Values are space-separated words: a pickled str loads seven times faster than a frozenset.
    zh_to_en: dict[str, str]  # simplified Chinese word -> stemmed English gloss words
    zh_to_en_close: dict[str, str]  # ... of its glosses of MAX_SEARCH_GLOSS_WORDS words at most
    en_to_zh: dict[str, str]  # stemmed English word -> Chinese words it translates

    def english(self, word: str, shortest_part: int = MIN_ZH_CHARS, *, close: bool = False) -> frozenset[str]:
        """The English words a Chinese word means; a word the lexicon lacks ("电子礼品") means what
        its longest known parts mean together (电子 + 礼品), or nothing if a part is unknown. Parts
        are words of shortest_part characters or more. close: only the words of its short glosses
        (MAX_SEARCH_GLOSS_WORDS), the ones to search an English text for."""
        glosses = self.zh_to_en_close if close else self.zh_to_en
        if word in glosses:
            return frozenset(glosses[word].split())
        parts: list[frozenset[str]] = []
        start = 0
        while start < len(word):
            for end in range(len(word), start, -1):
                if end - start >= shortest_part and word[start:end] in glosses:
                    parts.append(frozenset(glosses[word[start:end]].split()))
                    start = end
                    break
            else:
                return frozenset()
        return frozenset().union(*parts) if len(parts) > 1 else frozenset()

    def chinese(self, english_term: str) -> frozenset[str]:
        """The Chinese words (two or more characters) an English key term can be."""
        return frozenset(self.en_to_zh.get(english_term, "").split())

    def held_across(self, question_terms: Iterable[str], text: str, text_terms: set[str]) -> set[str]:
        """The question's key terms (retrieval.text.key_terms) that a text in the other language
        holds in translation: an English term when the text contains one of its Chinese words, a
        Chinese word when the text holds one of its English words. A Chinese word the lexicon
        does not know (a compound such as 断网) counts as held: it says nothing either way. An
        English one it does not know is looked for as written: names and codes ("Auth0", "GST")
        are written so in Chinese text too. A Chinese "#" bigram counts as held when both its
        characters lie in held words (电子礼品 held makes #子礼 held) or it translates so: bigrams
        are there for recall, not as words to find."""
        normalised = normalise(text)
        held: set[str] = set()
        bigrams: list[str] = []
        glossed: set[str] | None = None  # the text's Chinese words' gloss words, read once
        for term in question_terms:
            if term.startswith("#"):
                bigrams.append(term)
            elif CJK_RUN_RE.fullmatch(term):
                # A single character (月结 cut to 月, 结: key terms are cut by the dictionary)
                # means too many things to look for in translation: it says nothing either way.
                english = self.english(term) if len(term) >= MIN_ZH_CHARS else frozenset()
                if not english or any(_english_held(word, text_terms) for word in english):
                    held.add(term)
            elif any(word in normalised for word in self.chinese(term)):
                held.add(term)
            else:
                glossed = self._glosses(text_terms) if glossed is None else glossed
                if term_found(term, glossed):
                    held.add(term)
        held_chars = set("".join(held))
        for bigram in bigrams:
            bare = bigram[1:]
            if set(bare) <= held_chars or any(_english_held(word, text_terms) for word in self.english(bare)):
                held.add(bigram)
        return held

    def known_held(self, question_terms: Iterable[str], text: str) -> set[str]:
        """held_across for the words the lexicon knows only: what a text in the other language
        does hold of a question, to rank sentences or columns on ("filter" of "the call filtering
        add-on" in "来电过滤", 机场 in "At the airport"). An unknown Chinese word says nothing,
        and "#" bigrams are there for retrieval's recall, not words."""
        known = [
            t
            for t in question_terms
            if not t.startswith("#") and (not CJK_RUN_RE.fullmatch(t) or self.english(t))
        ]
        return self.held_across(known, text, set(key_terms(text)))

    def _glosses(self, text_terms: set[str]) -> set[str]:
        """The English words a Chinese text's words mean, so an English term is held where one of
        them means it ("month" in 月费, "monthly fee"; "call" in 来电, "incoming call"): the other
        way round from chinese(), which lists only the words a short gloss translates."""
        glosses: set[str] = set()
        for word in text_terms:
            if word.startswith("#"):
                # Key terms are cut by jieba's dictionary, which lacks 月费 (CC-CEDICT: monthly
                # fee): a bigram the lexicon holds as a word means what that word does.
                glosses.update(self.zh_to_en.get(word[1:], "").split())
            elif CJK_RUN_RE.fullmatch(word):
                # A compound the lexicon lacks means what its characters do (金卡: gold, card):
                # here that can only find the question's word, never lose it.
                glosses.update(self.english(word, shortest_part=1))
        return glosses


# A gloss word and a text word of one stem often differ in their ending ("assemble", "assembly";
# "compensate", "compensation"): they match when they share all but the last three letters of
# the shorter, and at least five.
MIN_SHARED_PREFIX = 5
MIN_PREFIX_SHARE = 0.6


def _english_held(word: str, text_terms: set[str]) -> bool:
    if word in text_terms:
        return True
    for term in text_terms:
        shared = min(len(word), len(term)) - 3
        if shared >= MIN_SHARED_PREFIX and term.isascii() and term[:shared] == word[:shared]:
            return True
        # A gloss word beginning a text word, or the other way round, as term_found reads a
        # question's word; but not a short one inside a long one ("enter", a gloss of 入门, is
        # no "Enterprise").
        if prefix_match(word, term) and min(len(word), len(term)) >= MIN_PREFIX_SHARE * max(
            len(word), len(term)
        ):
            return True
    return False


def _gloss_words(gloss: str) -> list[str]:
    text = _NOTE_RE.sub(" ", gloss.lower())
    return [stem(w) for w in _WORD_RE.findall(text) if len(w) > 1 and w not in EN_KEY_STOP_WORDS]


def parse_cedict(lines: list[str]) -> BilingualLexicon:
    zh_to_en: dict[str, set[str]] = defaultdict(set)
    zh_to_en_close: dict[str, set[str]] = defaultdict(set)
    en_to_zh: dict[str, set[str]] = defaultdict(set)
    for line in lines:
        match = _ENTRY_RE.match(line)
        if match is None:  # comments ("#") and the odd malformed line
            continue
        simplified, glosses = match.group(2), match.group(3)
        for gloss in glosses.split("/"):
            if gloss.lower().startswith(_SKIPPED_GLOSSES):
                continue
            words = _gloss_words(gloss)
            # An acronym in a note translates exactly, however long the gloss: "value-added tax (VAT)".
            acronyms = [a.lower() for a in _ACRONYM_NOTE_RE.findall(gloss)]
            zh_to_en[simplified].update(words + acronyms)
            zh_to_en_close[simplified].update(
                acronyms + (words if len(words) <= MAX_SEARCH_GLOSS_WORDS else [])
            )
            if len(simplified) >= MIN_ZH_CHARS:
                for word in acronyms + (words if 0 < len(words) <= MAX_GLOSS_WORDS else []):
                    en_to_zh[word].add(simplified)
    return BilingualLexicon(
        {k: " ".join(sorted(v)) for k, v in zh_to_en.items() if v},
        {k: " ".join(sorted(v)) for k, v in zh_to_en_close.items() if v},
        {k: " ".join(sorted(v)) for k, v in en_to_zh.items()},
    )


def bilingual_lexicon() -> BilingualLexicon:
    """The lexicon, parsed once per process (from the data directory's cache when current)."""
    return packaged_data.load(
        "cedict", CEDICT_PACKAGE, CEDICT_FILE, _parse_file, BilingualLexicon, FORMAT_VERSION
    )


def _parse_file(path: Path) -> BilingualLexicon:
    return parse_cedict(cedict_lines(path))
