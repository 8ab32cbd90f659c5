"""BM25 over the chunks of one knowledge-base version (bm25s), and the lexical retriever step.

The index is built from SQL (`Chunk.match_text`), which is written as soon as a file is parsed,
so lexical search works before the vectors exist. Row i of the index is catalog.chunk_ids[i].
Persistence and version tracking are in snapshot.py.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from types import ModuleType
from pathlib import Path

import numpy as np

from assistant.retrieval.text import terms
from assistant.retrieval.types import RankedList, ScoredChunk

# bm25s defaults (Lucene variant, k1 = 1.5, b = 0.75): kept; chunk lengths are budgeted by the
# chunker, so length normalisation has little to correct.
K1 = 1.5
B = 0.75


def _bm25s() -> ModuleType:
    """bm25s, imported on first use. It sets its own logger to DEBUG on import, so every index
    build would print a line once anything configured the root logger: it is put back to WARNING."""
    import bm25s

    logging.getLogger("bm25s").setLevel(logging.WARNING)
    return bm25s


class BM25Index:
    def __init__(self, model: object | None, n_docs: int) -> None:
        # model is a bm25s.BM25, or None for a knowledge base without chunks.
        self._model = model
        self.n_docs = n_docs
        if model is not None:
            self._vocab: dict[str, int] = model.vocab_dict  # type: ignore[attr-defined]
            self._df = np.diff(model.scores["indptr"])  # type: ignore[attr-defined]
        else:
            self._vocab, self._df = {}, np.zeros(0, dtype=np.int64)

    @classmethod
    def build(cls, documents: Sequence[str]) -> BM25Index:
        if not documents:
            return cls(None, 0)
        model = _bm25s().BM25(k1=K1, b=B)
        model.index([terms(text) for text in documents], show_progress=False)
        return cls(model, len(documents))

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        if self._model is not None:
            self._model.save(str(directory), show_progress=False)  # type: ignore[attr-defined]

    @classmethod
    def load(cls, directory: Path, n_docs: int) -> BM25Index:
        if n_docs == 0:
            return cls(None, 0)
        model = _bm25s().BM25.load(str(directory), show_progress=False)
        if model.scores["num_docs"] != n_docs:
            raise ValueError(
                f"BM25 index in {directory} has {model.scores['num_docs']} rows, expected {n_docs}"
            )
        return cls(model, n_docs)

    def document_frequency(self, term: str) -> int:
        token = self._vocab.get(term)
        return int(self._df[token]) if token is not None and token < len(self._df) else 0

    def idf(self, term: str) -> float:
        """Lucene IDF; a term absent from the knowledge base gets the value of a term in no document."""
        df = self.document_frequency(term)
        return math.log(1.0 + (self.n_docs - df + 0.5) / (df + 0.5))

    def holds(self, term: str) -> bool:
        """Whether some document of the knowledge base has the term."""
        return self.document_frequency(term) > 0

    def ceiling(self, query_terms: Sequence[str]) -> float:
        """The score of a row holding every query term at saturation: the sum of their IDFs
        (bm25s' Lucene term score is idf * tf / (tf + k1 * length norm) < idf). Terms absent from
        the knowledge base count too: no row can match them, so every row falls further short."""
        return sum(self.idf(t) for t in set(query_terms))

    def scores(self, query_terms: Sequence[str], mask: np.ndarray | None = None) -> np.ndarray:
        """BM25 score of every row (0 where no query term occurs or the mask excludes the row).
        Each distinct query term counts once: repeating a word in a question adds no meaning."""
        ids = [
            self._vocab[t]
            for t in dict.fromkeys(query_terms)
            if t in self._vocab and self._vocab[t] < len(self._df)
        ]
        if self._model is None or not ids:
            return np.zeros(self.n_docs, dtype=np.float32)
        scores = self._model.get_scores(ids)  # type: ignore[attr-defined]
        return scores * mask if mask is not None else scores


def top_rows(scores: np.ndarray, n: int) -> np.ndarray:
    """Row numbers of the n highest positive scores, best first."""
    positive = np.flatnonzero(scores > 0)
    if len(positive) > n:
        positive = positive[np.argpartition(-scores[positive], n - 1)[:n]]
    return positive[np.argsort(-scores[positive], kind="stable")]


class BM25Retriever:
    """Lexical step: query text -> chunk ids ranked by BM25 within the allowed rows."""

    name = "bm25"

    def run(
        self,
        query: str,
        index: BM25Index,
        chunk_ids: Sequence[str],
        *,
        top_n: int,
        mask: np.ndarray | None = None,
        synonyms: Sequence[str] = (),
    ) -> RankedList:
        """synonyms: words searched beside the query's in place of its words no row holds
        (retrieval.synonyms); the ceiling stays the query's own, since they fill its slots."""
        query_terms = terms(query)
        scores = index.scores(query_terms + terms(" ".join(synonyms)), mask)
        rows = top_rows(scores, top_n)
        return RankedList(
            self.name,
            [ScoredChunk(chunk_ids[r], float(scores[r])) for r in rows],
            ceiling=index.ceiling(query_terms),
            floor=0.0,
        )
