"""BM25 across languages: a question's words looked for, in translation, in the other language's chunks.

A help centre often says a thing in one language only: "翡翠会金卡会员可以免费延迟退房到几点？" is
answered by an English tier table ("Late check-out: until 2:00 pm"), "How much is a medium box?"
by a Chinese price list. BM25 reads a question in its own language, so for such a question it
could only rank chunks of the question's language (cross-language hit@5 of BM25 alone .25 on
three of the help centres' tune halves), and its weight in fusion then pushed the answer down.

So each word of the question (a BM25 term of two or more characters, or an English word) that
the bilingual lexicon translates (retrieval.lexicon, CC-CEDICT) is a slot; in a chunk of the other
language a slot scores as its best-scoring translation, weighed by the question word's own IDF:
score(t) * idf(word) / idf(t). One slot is one word however many translations CC-CEDICT lists
("room" has a hundred), so a noisy entry can fill its slot once and no more, and a chunk holding
every word in translation reaches the BM25 ceiling of a chunk holding them as written. A Chinese
word's slot also stands for the character bigrams inside it (BM25 terms of the question too), so
an English chunk can reach the ceiling a Chinese one does. The slots' scores add to the chunk's
own BM25 score (names, codes and numbers are written alike in both languages) in a ranked list of
its own ("translated", fused with BM25's weight), so BM25's ranking, which the answerability
judge reads (its "agree" feature), stays the question's own language's. The slots are the
question's key terms (retrieval.text.key_terms): "how long" asks for a duration and is no 多久 to
look for. A chunk holding no word in translation is not ranked: a name alone ("Lumo Hub" in a
Chinese FAQ on its warranty, for "how do I reset my Lumo Hub?") is BM25's to find. Off by default
(retrieval.fusion says why).

Lexical translation is a word-for-word gloss and misses phrasing, but the question's rare words
("mahjong", 积分, "courier") are the ones a dictionary translates best, and they are what BM25
weighs most. A knowledge base in one language has no chunk of another: nothing changes there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from assistant.retrieval.bm25 import BM25Index, top_rows
from assistant.retrieval.lexicon import MIN_ZH_CHARS, BilingualLexicon, bilingual_lexicon
from assistant.retrieval.text import key_terms, terms
from assistant.retrieval.types import RankedList, ScoredChunk
from ingest.text import CJK_RUN_RE, detect_language

# At most this many translations of one word are scored (the ones the index holds, rarest first):
# bounds the work on a word such as "room" while keeping the specific translations.
MAX_TRANSLATIONS = 24


@dataclass(frozen=True)
class Slot:
    """One question word: the index tokens it may be written as in the other language, and what
    a full match of it is worth (its IDF, plus its inner bigrams' for a Chinese word)."""

    word: str
    tokens: tuple[str, ...]
    weight: float


def _chinese_tokens(word: str) -> list[str]:
    # A two-character word is always a character bigram of a chunk that holds it, however jieba
    # cut that chunk; a longer one is looked for as jieba's word.
    return [f"#{word}", word] if len(word) == MIN_ZH_CHARS else [word]


def slots(query_terms: Sequence[str], lexicon: BilingualLexicon, index: BM25Index) -> list[Slot]:
    """The translatable words of a question's BM25 terms, with their translations' index tokens."""
    words = [t for t in dict.fromkeys(query_terms) if not t.startswith("#")]
    bigrams = {t for t in query_terms if t.startswith("#")}
    found: list[Slot] = []
    for word in words:
        if CJK_RUN_RE.fullmatch(word):
            if len(word) < MIN_ZH_CHARS:
                continue  # a single character means too many things
            tokens = sorted(lexicon.english(word, close=True))
            inner = {f"#{word[i : i + 2]}" for i in range(len(word) - 1)} & bigrams
            weight = index.idf(word) + sum(index.idf(b) for b in inner)
        else:
            tokens = [
                token for chinese in sorted(lexicon.chinese(word)) for token in _chinese_tokens(chinese)
            ]
            weight = index.idf(word)
        held = sorted({t for t in tokens if index.holds(t)}, key=index.idf, reverse=True)[:MAX_TRANSLATIONS]
        if held:
            found.append(Slot(word, tuple(held), weight))
    return found


def slot_scores(index: BM25Index, found: Sequence[Slot], rows: np.ndarray) -> np.ndarray:
    """Per row, the sum of each slot's best translation score scaled to the slot's weight; 0
    outside `rows` (a boolean mask of the other language's chunks)."""
    total = np.zeros(index.n_docs, dtype=np.float32)
    for slot in found:
        best = np.zeros(index.n_docs, dtype=np.float32)
        for token in slot.tokens:
            idf = index.idf(token)
            if idf > 0:
                np.maximum(best, index.scores([token]) * (slot.weight / idf), out=best)
        total += best
    return total * rows


class TranslatedBM25:
    """BM25 of the query's words in translation over the chunks in the other language than the
    query's: chunk ids ranked by their own BM25 score plus the slots' (see the module docstring),
    scaled like BM25's list (its ceiling is the query's own)."""

    name = "translated"

    def run(
        self,
        query: str,
        index: BM25Index,
        chunk_ids: Sequence[str],
        langs: np.ndarray,
        *,
        top_n: int,
        mask: np.ndarray | None = None,
    ) -> RankedList:
        query_terms = terms(query)
        rows = langs != detect_language(query)
        if mask is not None:
            rows &= mask
        # The words the question is about, not its frame: "how long" is no 多久 to find.
        found = slots(key_terms(query), bilingual_lexicon(), index) if rows.any() else []
        if not found:
            return RankedList(self.name, [])
        translated = slot_scores(index, found, rows)
        # Only chunks holding some word in translation: a name alone ("Lumo Hub") is BM25's to find.
        scores = (index.scores(query_terms) * rows + translated) * (translated > 0)
        return RankedList(
            self.name,
            [ScoredChunk(chunk_ids[r], float(scores[r])) for r in top_rows(scores, top_n)],
            ceiling=index.ceiling(query_terms),
            floor=0.0,
        )
