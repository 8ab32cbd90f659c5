"""Extractive answer: quote the passage sentences that best match the question, with citations.

No LLM: this is the fallback when the LLM fails, times out or its answer fails the grounding check,
and the answer mode for Chinese questions on the local model (which writes garbage Chinese).
Sentences are ranked by lexical overlap with the question (same units as the grounding check), so
every quoted sentence is verbatim and passes that check by construction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.grounding import STOP_WORDS, lexical_units, split_sentences
from assistant.types import Passage

LEADS = {"en": "According to our help centre:", "zh": "根据帮助中心的资料："}
# Only the best-ranked passages are quoted from: retrieval order already says which are relevant,
# and lexical overlap alone would happily pick a sentence from a weak passage.
TOP_PASSAGES = 3
MAX_SENTENCES = 3
# A further sentence is added only when it matches at least this share of the best one's score.
RELATIVE_SCORE_MIN = 0.5
# Fragments with fewer units are headings or labels ("## Returns", "Q:"), not answers.
MIN_SENTENCE_UNITS = 3
MAX_CHARS = 600  # keep the quote readable in a chat bubble

# Words that say "this is a question" and match any passage equally: dropped from the question.
_QUESTION_WORDS_EN = frozenset("get tell know want need like help question ask".split())
_QUESTION_BIGRAMS_ZH = frozenset(
    "什么 怎么 怎样 如何 可以 请问 是否 多少 哪些 哪里 为什么 我的 你们 我们 我想 想要 一下 能否 能不".split()
)
_FAQ_RE = re.compile(r"^\s*(?:Q|问)\s*[:：](?P<q>.*?)\n\s*(?:A|答)\s*[:：](?P<a>.*)$", re.DOTALL)
_HEADING_MARK_RE = re.compile(r"^#+\s*")
_FINAL_PUNCT_RE = re.compile(r"[.!?。！？；;]+$")


@dataclass
class ExtractiveAnswer:
    text: str
    citations_used: list[int]


@dataclass
class _Candidate:
    passage: Passage
    rank: int  # passage position in retrieval order
    position: int  # sentence position inside the passage
    text: str
    score: float


class ExtractiveAnswerer:
    def run(self, question: str, passages: list[Passage], lang: str) -> ExtractiveAnswer:
        if not passages:
            raise ValueError("an extractive answer needs at least one passage")
        zh = lang.lower().startswith("zh")
        question_units = set(lexical_units(question, STOP_WORDS | _QUESTION_WORDS_EN | _QUESTION_BIGRAMS_ZH))
        candidates = [
            c for rank, p in enumerate(passages[:TOP_PASSAGES]) for c in self._candidates(p, rank, question_units)
        ]
        chosen = self._choose(candidates)
        chosen.sort(key=lambda c: (c.rank, c.position))  # read in document order
        quotes = [_with_marker(c.text, c.passage.n, zh) for c in chosen]
        body = ("" if zh else " ").join(quotes)
        citations = list(dict.fromkeys(c.passage.n for c in chosen))
        return ExtractiveAnswer(text=f"{LEADS['zh' if zh else 'en']}\n{body}", citations_used=citations)

    def _candidates(self, passage: Passage, rank: int, question_units: set[str]) -> list[_Candidate]:
        faq = _FAQ_RE.match(passage.text) if passage.kind == "faq" else None
        if faq:
            # An FAQ answer is written to be read whole; the question side carries the match.
            answer = faq.group("a").strip()
            units = set(lexical_units(faq.group("q") + "\n" + answer))
            return [_Candidate(passage, rank, 0, answer, _overlap(question_units, units))]
        pieces = [_HEADING_MARK_RE.sub("", s) for s in split_sentences(passage.text)]
        candidates = [
            _Candidate(passage, rank, i, s, _overlap(question_units, set(lexical_units(s))))
            for i, s in enumerate(pieces)
            if len(set(lexical_units(s))) >= MIN_SENTENCE_UNITS
        ]
        if not candidates and pieces:  # a passage of short fragments: quote it as it is
            candidates = [_Candidate(passage, rank, 0, " ".join(pieces), 0.0)]
        return candidates

    def _choose(self, candidates: list[_Candidate]) -> list[_Candidate]:
        if not candidates:
            raise ValueError("the passages contain no text to quote")
        ranked = sorted(candidates, key=lambda c: (-c.score, c.rank, c.position))
        best = ranked[0]
        if best.score == 0.0:
            # No lexical overlap (e.g. a cross-lingual match): trust retrieval and quote the start
            # of the top passage.
            return [min(candidates, key=lambda c: (c.rank, c.position))]
        chosen = [best]
        length = len(best.text)
        for c in ranked[1:]:
            if len(chosen) == MAX_SENTENCES or c.score < best.score * RELATIVE_SCORE_MIN:
                break
            if length + len(c.text) > MAX_CHARS:
                continue
            chosen.append(c)
            length += len(c.text)
        return chosen


def _overlap(question_units: set[str], units: set[str]) -> float:
    return len(question_units & units) / len(question_units) if question_units else 0.0


def _with_marker(sentence: str, n: int, zh: bool) -> str:
    # The marker goes before the final punctuation: "... 30 days [1]." / "……退货[1]。"
    sentence = sentence.strip()
    match = _FINAL_PUNCT_RE.search(sentence)
    marker = f"[{n}]" if zh else f" [{n}]"
    if match:
        return f"{sentence[: match.start()]}{marker}{match.group()}"
    return f"{sentence}{marker}{'。' if zh else '.'}"
