"""Data passed between the answering steps: retrieve -> decide -> generate -> check."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

AnswerMode = Literal["generated", "extractive", "refused", "escalated", "human"]


@dataclass(frozen=True)
class PassageScores:
    """How retrieval ranked a passage. Each retriever's score and 1-based rank are None when that
    retriever did not return the passage; faq is an FAQ entry's question match strength, rerank
    the reranker's relevance when one ran (the passages are then in its order)."""

    fused: float = 0.0  # the fused retrieval score (higher is better)
    bm25: float | None = None
    translated: float | None = None  # BM25 in translation (retrieval.crosslingual)
    dense: float | None = None  # cosine
    title: float | None = None  # cosine of the query and the document title
    faq: float | None = None
    rerank: float | None = None
    bm25_rank: int | None = None
    translated_rank: int | None = None
    dense_rank: int | None = None
    title_rank: int | None = None

    @property
    def ranking(self) -> float:
        """The score the passages are ordered by."""
        return self.rerank if self.rerank is not None else self.fused

    def as_dict(self) -> dict[str, float]:
        """The scores that apply, by name ("fused", "bm25", "translated", "dense", "title", "faq",
        "rerank")."""
        names = ("fused", "bm25", "translated", "dense", "title", "faq", "rerank")
        return {name: value for name in names if (value := getattr(self, name)) is not None}

    def ranks(self) -> dict[str, int]:
        """Each retriever's rank of the passage, by retriever name."""
        names = ("bm25", "translated", "dense", "title")
        return {name: rank for name in names if (rank := getattr(self, f"{name}_rank")) is not None}


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk as the answer steps see it. n is its 1-based citation number. Frozen:
    a step that changes a passage (numbering, scoring, neutralising) returns a new one."""

    chunk_id: str
    doc_id: str
    text: str
    title: str = ""
    heading_path: list[str] = field(default_factory=list)
    page: int | None = None
    url: str | None = None
    source: str = ""
    lang: str = "en"
    kind: str = "text"  # "text" | "table" | "faq"
    scores: PassageScores = PassageScores()
    n: int = 0
    extra: dict[str, Any] = field(default_factory=dict)  # document metadata; an FAQ chunk's "questions"

    @property
    def score(self) -> float:
        return self.scores.ranking


@dataclass
class Citation:
    n: int
    chunk_id: str
    doc_id: str
    title: str
    heading_path: list[str]
    page: int | None
    url: str | None
    source: str
    snippet: str


MessageRole = Literal["user", "assistant", "system", "agent"]


@dataclass
class Message:
    role: MessageRole
    content: str
