"""Grounding check: is every claim in an answer supported by the passages it cites?

Decided by code, not by an LLM: the local model cannot judge (DESIGN.md "Models"), so support is a
lexical score. English is compared on lightly stemmed content words, Chinese on character bigrams
(no word segmenter needed, robust to paraphrase at the word boundary). On top of word overlap, every
number in a sentence must occur in its passage ("60 days" against "30 days" fails) and a sentence
must agree in negation with the passage sentence closest to it. The text helpers here are shared
with the extractive answerer and the generator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.types import Passage
from ingest.text import CITATION_PATTERN, CJK_CLASS, CJK_RE, citations_in, is_chinese, strip_citations

# A sentence is supported when at least this share of its content units occurs in the passage(s).
# English: the local model paraphrases with function words, which are dropped, and stems that the
# crude stemmer may miss ("purchasing"/"bought"); 0.6 keeps such paraphrases while an invented
# sentence on another topic scores near 0 (see tests/answer/test_grounding.py).
MIN_SUPPORT_WORDS = 0.6
# Chinese: bigram coverage of a faithful paraphrase is lower than word coverage (reordering and
# synonyms break two bigrams each), so the bar is lower.
MIN_SUPPORT_BIGRAMS = 0.5
# Sentences with fewer content units than this ("Sure!", "Thanks.") carry no checkable claim.
MIN_CLAIM_UNITS = 2
# A draft that states the same claim this many extra times has looped (the small model does, until
# its token limit: "Refunds are issued within 3 business days [3]." eight times), not answered.
MAX_REPEATED_CLAIMS = 1

_UNIT_RE = re.compile(rf"[{CJK_CLASS}]+|[a-z0-9]+(?:['’.,:][a-z0-9]+)*")
_NUMBER_RE = re.compile(r"\d+(?:[.,:]\d+)*")
_LEADING_CITATIONS_RE = re.compile(rf"^(?:\s*{CITATION_PATTERN})+")
_ENUMERATOR_RE = re.compile(r"^\s*(?:\d+[.)、]|[-*•])\s+", re.MULTILINE)
# Sentence ends inside a line: CJK terminators (no space follows them) and Latin ones before
# whitespace (so "1.5" and "e.g.x" stay whole). Line breaks always end a sentence.
_SENTENCE_END_RE = re.compile(r"(?<=[。！？；])|(?<=[.!?;])\s+")

STOP_WORDS = frozenset(
    """a about above after again all also am an and any are as at be because been before being
    below between both but by could did do does doing down during each few for from further had has
    have having he her here hers herself him himself his how i if in into is it its itself just me
    more most my myself of off on once only or other our ours ourselves out over own same she should
    so some such than that the their theirs them themselves then there these they this those through
    to too under until up very was we were what when where which while who whom why will with would
    you your yours yourself yourselves can may please thank thanks hello hi dear s t""".split()
)
# Negations are deliberately not stop words: they flip a claim's meaning. Beyond that, a sentence
# must agree in polarity with the passage sentence closest to it: "The warranty covers water damage"
# against "... covers manufacturing defects but not ... water damage" has full word overlap.
NEGATIONS_ZH = ("不", "没", "未", "无法", "禁止")
_NEGATION_RE = re.compile(r"\b(?:not|no|never|cannot|none|nor|without)\b|n['’]t\b")


def _stem(word: str) -> str:
    # Crude suffix strip + 6-character truncation: enough to match return/returns/returned and
    # purchase/purchases without an NLP dependency; over-merging only makes support more lenient.
    if word.isdigit():
        return word
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and not word.endswith("ss") and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiouls":
                word = word[:-1]  # shipped -> shipp -> ship
            break
    return word[:6]


def lexical_units(text: str, stop: frozenset[str] = STOP_WORDS) -> list[str]:
    """Content units of text: stemmed non-stop words and numbers; CJK runs as character bigrams."""
    units: list[str] = []
    for match in _UNIT_RE.finditer(text.lower()):
        token = match.group()
        if CJK_RE.match(token):
            pieces = [token] if len(token) == 1 else [token[i : i + 2] for i in range(len(token) - 1)]
            units.extend(p for p in pieces if p not in stop)
        elif token not in stop:
            units.append(_normalise_number(token) if token[0].isdigit() else _stem(token))
    return units


def _normalise_number(token: str) -> str:
    return token.replace(",", "").rstrip(".:")


def numbers_in(text: str) -> set[str]:
    return {_normalise_number(m.group()) for m in _NUMBER_RE.finditer(text)}


def split_sentences(text: str) -> list[str]:
    """Sentences of text, each line split on its own. A citation right after a sentence end
    ("... receipt. [1]") stays with that sentence; one that starts a line labels that line."""
    sentences: list[str] = []
    for line in text.splitlines():
        line_sentences: list[str] = []
        for piece in _SENTENCE_END_RE.split(line):
            piece = piece.strip()
            leading = _LEADING_CITATIONS_RE.match(piece)
            if leading and line_sentences:
                line_sentences[-1] += " " + leading.group().strip()
                piece = piece[leading.end() :].strip()
            if piece:
                line_sentences.append(piece)
        sentences.extend(line_sentences)
    return sentences


@dataclass
class SentenceScore:
    sentence: str
    citations: list[int]
    score: float  # share of the sentence's content units found in its supporting passage(s)
    supported: bool
    problems: list[str] = field(default_factory=list)  # why it is not supported


@dataclass
class GroundingResult:
    ok: bool
    score: float  # unit-weighted mean support over the claim sentences, 0..1
    sentence_scores: list[SentenceScore]
    invalid_citations: list[int]
    reasons: list[str]


class GroundingChecker:
    """Checks an answer against the passages it was generated from.

    With the question given, two more checks catch what the small model does most: grafting the
    asked-about subject onto a fact from another passage ("A refund takes 3-5 business days [2]"
    citing the shipping passage), and answering a different question than the one asked.
    """

    def run(self, answer: str, passages: list[Passage], question: str | None = None) -> GroundingResult:
        by_n = {p.n: p for p in passages}
        cited = citations_in(answer)
        invalid = [n for n in cited if n not in by_n]
        reasons: list[str] = []
        if not cited:
            reasons.append("answer cites no passage")
        if invalid:
            reasons.append(f"citations point at no given passage: {invalid}")
        question_units = set(lexical_units(question)) if question else set()

        scores: list[SentenceScore] = []
        weighted = 0.0
        total_units = 0
        for sentence in split_sentences(_ENUMERATOR_RE.sub("", answer)):
            units = set(lexical_units(strip_citations(sentence)))
            if len(units) < MIN_CLAIM_UNITS or _is_lead_in(sentence):
                continue
            result = self._score_sentence(sentence, units, by_n, question_units)
            scores.append(result)
            weighted += result.score * len(units)
            total_units += len(units)
            if not result.supported:
                reasons.append(f"unsupported ({result.score:.2f}; {'; '.join(result.problems)}): {sentence[:80]}")

        repeated = len(scores) - len({frozenset(lexical_units(strip_citations(s.sentence))) for s in scores})
        if repeated > MAX_REPEATED_CLAIMS:
            reasons.append(f"answer repeats itself ({repeated} repeated sentences)")
        if not scores:
            reasons.append("answer makes no checkable claim")
        elif question_units and not any(question_units & set(lexical_units(strip_citations(s.sentence))) for s in scores):
            reasons.append("answer mentions nothing the question asks about")
        score = weighted / total_units if total_units else 0.0
        return GroundingResult(
            ok=not reasons, score=score, sentence_scores=scores, invalid_citations=invalid, reasons=reasons
        )

    def _score_sentence(
        self, sentence: str, units: set[str], by_n: dict[int, Passage], question_units: set[str]
    ) -> SentenceScore:
        cited = [n for n in citations_in(sentence) if n in by_n]
        # A cited sentence must be supported by what it cites (together: one sentence may combine
        # two passages); an uncited one by the single best passage.
        groups = [[by_n[n] for n in cited]] if cited else [[p] for p in by_n.values()]
        if not groups:
            return SentenceScore(sentence=sentence, citations=cited, score=0.0, supported=False, problems=["no passages"])
        results = [self._score_against(sentence, units, group, question_units) for group in groups]
        best = max(results, key=lambda r: (r.supported, r.score))
        best.citations = cited
        return best

    def _score_against(
        self, sentence: str, units: set[str], group: list[Passage], question_units: set[str]
    ) -> SentenceScore:
        bare = strip_citations(sentence)
        source = "\n".join(_passage_text(p) for p in group)
        source_units = set(lexical_units(source))
        coverage = len(units & source_units) / len(units)
        problems: list[str] = []
        threshold = MIN_SUPPORT_BIGRAMS if is_chinese(bare) else MIN_SUPPORT_WORDS
        if coverage < threshold:
            problems.append(f"below {threshold}")
        missing_numbers = sorted(numbers_in(bare) - numbers_in(source))
        if missing_numbers:
            problems.append(f"numbers not in passage: {missing_numbers}")
        missing_topic = sorted((units & question_units) - source_units)
        if missing_topic:
            problems.append(f"asked-about words not in passage: {missing_topic}")
        closest = max(split_sentences(source), key=lambda s: len(units & set(lexical_units(s))), default="")
        if _negated(bare) != _negated(closest):
            problems.append("negation differs from the passage")
        return SentenceScore(sentence=sentence, citations=[], score=coverage, supported=not problems, problems=problems)


def _passage_text(passage: Passage) -> str:
    return f"{passage.title}\n{passage.text}" if passage.title else passage.text


def _is_lead_in(sentence: str) -> bool:
    # "According to our help centre:" introduces the claims that follow; it makes none itself.
    return strip_citations(sentence).rstrip().endswith((":", "："))


def _negated(text: str) -> bool:
    lowered = text.lower()
    return bool(_NEGATION_RE.search(lowered)) or any(marker in lowered for marker in NEGATIONS_ZH)
