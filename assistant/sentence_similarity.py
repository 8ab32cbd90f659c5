"""Sentence-to-sentence similarity with the knowledge base's embedder, for the answer steps: is this
draft sentence a paraphrase of that passage sentence, which passage sentence answers the question.

Both sides are embedded as passages (symmetric comparison). Vectors are kept in a small LRU by
exact text: the same passages come back for a conversation's turns and for the draft and its
extractive fallback.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from ingest.embedding import Embedder

# multilingual-e5-small gives a question a lower cosine with a sentence in the other language
# than with the same sentence in its own: on the help-centre benchmark's tune half (gold pages
# in both languages), the best gold sentence's cosine fell by a median 0.034 for English
# questions over Chinese pages and 0.084 for Chinese questions over English ones. A sentence in
# the other language is compared as if in the question's: its cosine plus that gap.
CROSS_LANGUAGE_GAP = {"en": 0.034, "zh": 0.084}

CACHE_SIZE = 4096


class SentenceSimilarity:
    def __init__(self, embedder: Embedder, cache_size: int = CACHE_SIZE) -> None:
        self.embedder = embedder
        self.cache_size = cache_size
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def vectors(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of texts, in order (rows of a len(texts) x dim array)."""
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        with self._lock:
            found = {t: self._vectors[t] for t in texts if t in self._vectors}
            for text in found:
                self._vectors.move_to_end(text)
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing:
            found.update(zip(missing, self.embedder.embed_passages(missing)))
            with self._lock:
                for text in missing:
                    self._vectors[text] = found[text]
                while len(self._vectors) > self.cache_size:
                    self._vectors.popitem(last=False)
        return np.stack([found[t] for t in texts])

    def matrix(self, left: Sequence[str], right: Sequence[str]) -> np.ndarray:
        """Cosine similarity of every left text with every right text (len(left) x len(right))."""
        if not left or not right:
            return np.zeros((len(left), len(right)), dtype=np.float32)
        vectors = self.vectors([*left, *right])
        similarity: np.ndarray = vectors[: len(left)] @ vectors[len(left) :].T
        return similarity
