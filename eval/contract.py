"""The contract between an evaluation run and the system it evaluates: an arm is built from an
ArmContext into an AnswerFn, which answers one question (with its history) as an AnswerRecord.
eval.runner runs the loop; eval.arms holds the arms."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from eval.datasets import EvalDataset
from ingest.config import Settings

if TYPE_CHECKING:
    from assistant.releases import Arm


@dataclass
class AnswerRecord:
    """What an answer function returns for one question.

    passages: the retrieved passages in rank order, each {chunk_id, doc_id, text, score} where
    doc_id is Document.source (for data-set corpora: the corpus id), numbered [1]..[n] for
    citations. citations: the passage numbers the answer cites. refusal_probability: the
    pipeline's probability that the question should be refused (1 - P(answerable)), if it has
    one; it draws the refusal threshold curve.
    """

    answer: str
    mode: str  # "generated" | "extractive" | "refused" | "escalated"
    refused: bool
    passages: list[dict[str, Any]]
    citations: list[int]
    latency_ms: float
    timings_ms: dict[str, float] = field(default_factory=dict)
    refusal_probability: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class AnswerFn(Protocol):
    def __call__(self, question: str, history: list[dict[str, str]]) -> AnswerRecord: ...


@dataclass
class ArmContext:
    """What an arm is built from: the settings, the KB holding the data set, the data set itself
    (whose corpus a baseline may index its own way)."""

    settings: Settings
    kb: str
    dataset: EvalDataset
    release_arm: Arm | None = None  # the kefu arm answers with this release arm (None: the published)


# Builds the answer function of one arm; see eval.arms for the registered ones.
ArmFactory = Callable[[ArmContext], AnswerFn]
