"""Is this the same question again? Lexical overlap first (cheap, catches repeats), then the
embedder's query-query cosine (catches paraphrases)."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from assistant.escalation.lexicon import EN_STOPWORDS, prepare
from ingest.embedding import Embedder
from ingest.text import CJK_CLASS

_LATIN = re.compile(r"[a-z0-9]+")
_CJK_RUN = re.compile(f"[{CJK_CLASS}]+")


def lexical_tokens(text: str) -> frozenset[str]:
    """English content words cut to five letters (a crude stem: refund/refunds/refunded) and
    Chinese character bigrams (single characters for one-character runs)."""
    prepared = prepare(text)
    tokens = {w[:5] for w in _LATIN.findall(prepared) if w not in EN_STOPWORDS}
    for run in _CJK_RUN.findall(prepared):
        tokens.update(run[i : i + 2] for i in range(max(1, len(run) - 1)))
    return frozenset(tokens)


def jaccard(a: str, b: str) -> float:
    ta, tb = lexical_tokens(a), lexical_tokens(b)
    if not ta or not tb:
        return 0.0
    return len(ta & tb) / len(ta | tb)


@dataclass(frozen=True)
class Similarity:
    lexical: float
    cosine: float | None  # None when the lexical score decided alone or there is no embedder
    same: bool


class QuestionSimilarity:
    """Compares customer questions; query vectors are kept in a small LRU cache because each
    message is compared with its neighbour on two consecutive turns."""

    def __init__(
        self,
        embedder: Embedder | None,
        *,
        cosine_threshold: float,
        lexical_threshold: float,
        cache_size: int = 512,
    ) -> None:
        self.embedder = embedder
        self.cosine_threshold = cosine_threshold
        self.lexical_threshold = lexical_threshold
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def vector(self, text: str) -> np.ndarray:
        if self.embedder is None:
            raise RuntimeError("no embedder configured for question similarity")
        with self._lock:
            if text in self._cache:
                self._cache.move_to_end(text)
                return self._cache[text]
        vector = np.asarray(self.embedder.embed_query(text), dtype=np.float32)
        with self._lock:
            self._cache[text] = vector
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return vector

    def run(self, a: str, b: str) -> Similarity:
        lexical = jaccard(a, b)
        if lexical >= self.lexical_threshold or self.embedder is None:
            return Similarity(lexical, None, lexical >= self.lexical_threshold)
        cosine = float(self.vector(a) @ self.vector(b))
        return Similarity(lexical, cosine, cosine >= self.cosine_threshold)
