"""Run a data set through an answer function: the run loop.

The assistant is reached only through AnswerFn (question + history -> AnswerRecord, eval.contract),
so any pipeline, a baseline or a retrieval-only arm can be evaluated the same way (see eval.arms).
"""

from __future__ import annotations

import math
import time
import traceback
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from datetime import datetime, UTC
from pathlib import Path
from typing import Any

from eval.contract import AnswerFn, ArmContext, ArmFactory
from eval.datasets import EvalItem, Only, load, select, selection_hash
from eval.kb import KBBuilder, Progress, build_dataset_kb, existing_kb, reference_texts
from eval.scoring import score_rows, summarise
from ingest.config import Settings

Row = dict[str, Any]


@dataclass
class RunSpec:
    dataset: str  # a data-set folder, a golden-set file, or a name inside the data sets folder
    arm: str = "kefu"
    limit: int | None = None
    sample: int | None = None
    seed: int = 0
    only: Only | None = None
    split: str | None = None  # a named half of the set (help-centre benchmark: tune, heldout)
    workers: int = 1
    corpus: Path | None = None  # golden sets: folder of documents
    kb: str | None = None  # golden sets: evaluate against this existing knowledge base
    judge: str | None = None
    judge_base_url: str | None = None


@dataclass
class RunResult:
    created_at: str
    spec: dict[str, Any]
    config: dict[str, Any]  # the Settings that shape answers (models, chunking, ...)
    dataset: dict[str, Any]  # name, path, hash, selection_hash, questions
    kb: dict[str, Any]  # name, version, reused
    judge: str | None
    summary: dict[str, Any]
    rows: list[Row]
    duration_s: float = 0.0
    id: int | None = None
    report_paths: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: NaN and infinities become None (JSON, and PostgreSQL's JSON above all,
        has no NaN)."""
        return finite(asdict(self))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunResult:
        return cls(**data)


def finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value


def _row(item: EvalItem) -> Row:
    return {
        "id": item.id,
        "question": item.prompt,
        "history": item.history,
        "reference": item.answer,
        "aliases": item.aliases,
        "gold_doc_ids": item.gold_doc_ids,
        "answerable": item.answerable,
        "meta": item.meta,
    }


def answer_one(item: EvalItem, answer_fn: AnswerFn) -> Row:
    """One question through the answer function; an exception is recorded on the row, not raised,
    so one bad question does not lose a long run."""
    row = _row(item)
    started = time.perf_counter()
    try:
        record = answer_fn(item.prompt, [dict(turn) for turn in item.history])
    except Exception as exc:  # any failure of the evaluated system is a result to report
        row.update(
            answer="",
            mode="error",
            refused=False,
            passages=[],
            citations=[],
            latency_ms=(time.perf_counter() - started) * 1000,
            timings_ms={},
            refusal_probability=None,
            extra={},
            error=f"{type(exc).__name__}: {exc}",
            traceback=traceback.format_exc(limit=8),
        )
        return row
    row.update(
        answer=record.answer,
        mode=record.mode,
        refused=record.refused,
        passages=[dict(p) for p in record.passages],
        citations=list(record.citations),
        latency_ms=float(record.latency_ms),
        timings_ms=dict(record.timings_ms),
        refusal_probability=record.refusal_probability,
        extra=dict(record.extra),
        error=None,
    )
    return row


def answer_all(
    items: Sequence[EvalItem],
    answer_fn: AnswerFn,
    *,
    workers: int = 1,
    progress: Progress | None = None,
) -> list[Row]:
    """Rows in item order; `workers` > 1 answers that many questions at once in threads."""
    rows: list[Row | None] = [None] * len(items)
    done = 0
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = {pool.submit(answer_one, item, answer_fn): i for i, item in enumerate(items)}
        for future in as_completed(futures):
            rows[futures[future]] = future.result()
            done += 1
            if progress is not None:
                progress("answer", done, len(items))
    return [row for row in rows if row is not None]


def relevant_config(settings: Settings) -> dict[str, Any]:
    """The settings that change answers (never API keys); stored with each run so runs can be
    told apart."""
    fields = (
        "embed_model",
        "chunk_tokens",
        "chunk_overlap_tokens",
        "llm_model",
        "llm_fallbacks",
        "llm_api_base",
        "llm_temperature",
        "llm_max_tokens",
        "llm_context_tokens",
    )
    config: dict[str, Any] = {name: getattr(settings, name) for name in fields}
    try:
        from ingest.config import get_settings
    except ImportError:  # eval also runs arms that do not use kefu's retrieval
        return config
    retrieval = get_settings().retrieval.model_dump(mode="json", exclude={"rerank_api_key"})
    config["retrieval"] = retrieval
    return config


def run(
    spec: RunSpec,
    settings: Settings,
    *,
    arm: ArmFactory | None = None,
    kb_builder: KBBuilder = build_dataset_kb,
    progress: Progress | None = None,
) -> RunResult:
    """Load and select the data set, build (or reuse) its knowledge base, answer every question,
    score the answers (Ragas non-LLM metrics always, LLM-judged ones when spec.judge is set)."""
    from eval.arms import get_arm

    started = time.perf_counter()
    created_at = datetime.now(UTC).isoformat(timespec="seconds")
    dataset = load(spec.dataset, corpus_dir=spec.corpus, split=spec.split)
    items = select(dataset.items, only=spec.only, sample=spec.sample, seed=spec.seed, limit=spec.limit)
    if not items:
        raise ValueError(f"no questions selected from {dataset.path}")
    kb = existing_kb(settings, spec.kb) if spec.kb is not None else kb_builder(dataset, settings, progress)
    judge = None
    if spec.judge:  # created before answering, so a misconfigured judge fails fast
        from eval.judge import Judge

        judge = Judge.create(spec.judge, base_url=spec.judge_base_url, settings=settings)
    answer_fn = (arm or get_arm(spec.arm))(ArmContext(settings, kb.name, dataset))
    rows = answer_all(items, answer_fn, workers=spec.workers, progress=progress)

    gold = {doc_id for item in items for doc_id in item.gold_doc_ids}
    score_rows(rows, reference_texts(dataset, settings, kb.name, gold), judge=judge, progress=progress)
    return RunResult(
        created_at=created_at,
        spec={k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(spec).items()},
        config=relevant_config(settings),
        dataset={
            "name": dataset.name,
            "split": spec.split,
            "path": str(dataset.path),
            "hash": dataset.content_hash,
            "selection_hash": selection_hash(items),
            "questions": len(items),
            "total_questions": len(dataset.items),
        },
        kb=asdict(kb),
        judge=judge.name if judge else None,
        summary=summarise(rows),
        rows=rows,
        duration_s=round(time.perf_counter() - started, 2),
    )
