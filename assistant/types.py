"""Data passed between the answering steps: retrieve -> decide -> generate -> check."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

AnswerMode = Literal["generated", "extractive", "refused", "escalated", "human"]


@dataclass
class Passage:
    """A retrieved chunk as the answer steps see it. n is its 1-based citation number."""

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
    score: float = 0.0  # fused retrieval score (higher is better)
    scores: dict[str, float] = field(default_factory=dict)  # per retriever: {"bm25": .., "dense": ..}
    n: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


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


@dataclass
class Message:
    role: Literal["user", "assistant", "system", "agent"]
    content: str
