"""The systems an evaluation run can answer with ("arms"), each an ArmFactory: ArmContext -> AnswerFn.
Each factory's docstring says what the arm is; its first paragraph is the arm's description in
`kefu eval run --help` (describe_arms).

Components are imported when an arm is built, so a missing or broken one fails only its own arm,
with a message naming it. The arms are the `kefu.eval_arms` plug-ins (ingest.plugins): kefu's own
below are registered in pyproject.toml the way another distribution adds one.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from typing import Any

from eval.contract import AnswerFn, AnswerRecord, ArmContext, ArmFactory
from ingest import plugins
from ingest.errors import Unavailable

GROUP = "kefu.eval_arms"

TOP_K = 10


class ArmUnavailable(Unavailable, RuntimeError):
    pass


def passage_dict(passage: Any) -> dict[str, Any]:
    """An assistant.types.Passage as the runner records it; doc_id is the document's source,
    which for data-set corpora is the corpus id the gold ids refer to."""
    return {
        "n": passage.n,
        "chunk_id": passage.chunk_id,
        "doc_id": passage.source,
        "title": passage.title,
        "text": passage.text,
        "score": float(passage.score),
    }


def kefu_arm(ctx: ArmContext) -> AnswerFn:
    """The full answer pipeline (assistant.pipeline.AnswerPipeline), history included."""
    try:
        from assistant.pipeline import AnswerPipeline, AnswerRequest
        from assistant.types import Message
    except ImportError as exc:
        raise ArmUnavailable(f"the kefu answer pipeline cannot be loaded: {exc}") from exc
    pipeline = AnswerPipeline(ctx.settings)

    def answer(question: str, history: list[dict[str, str]]) -> AnswerRecord:
        started = time.perf_counter()
        result = pipeline.run(
            AnswerRequest(
                question=question,
                kb=ctx.kb,
                record=False,
                arm=ctx.release_arm,
                history=[Message(role=turn["role"], content=turn["content"]) for turn in history],  # type: ignore[arg-type]
            )
        )
        latency = result.timings_ms.get("total", (time.perf_counter() - started) * 1000)
        answerability = result.verdicts.answerability
        return AnswerRecord(
            answer=result.text,
            mode=result.mode,
            # Escalating to a human is the other way of not answering from the knowledge base.
            refused=result.mode in ("refused", "escalated"),
            passages=[passage_dict(p) for p in result.passages],
            citations=[c.n for c in result.citations],
            latency_ms=float(latency),
            timings_ms={k: float(v) for k, v in result.timings_ms.items()},
            refusal_probability=None if answerability is None else 1.0 - answerability.probability,
            extra={
                "query": result.query,
                "model": result.model,
                "lang": result.lang,
                "verdicts": result.verdicts.to_json(),
            },
        )

    return answer


def _extractive_answer_fn(search: Callable[[str], list[Any]]) -> AnswerFn:
    """An answer function quoting the top passages of `search` (question -> Passages, numbered)."""
    from assistant.extractive import ExtractiveAnswerer
    from ingest.text import detect_language

    extractor = ExtractiveAnswerer()

    def answer(question: str, history: list[dict[str, str]]) -> AnswerRecord:
        started = time.perf_counter()
        passages = search(question)
        retrieved_ms = (time.perf_counter() - started) * 1000
        text, cited = "", []
        if passages:
            extracted = extractor.run(question, passages, detect_language(question))
            text, cited = extracted.text, extracted.citations_used
        return AnswerRecord(
            answer=text,
            mode="extractive",
            refused=False,
            passages=[passage_dict(p) for p in passages],
            citations=cited,
            latency_ms=(time.perf_counter() - started) * 1000,
            timings_ms={"retrieve": retrieved_ms},
        )

    return answer


def retrieval_arm(ctx: ArmContext) -> AnswerFn:
    """kefu's hybrid retrieval, top 10, quoted by the extractive answerer: no decide or generate
    step (never refuses, ignores history)."""
    try:
        from assistant.retrieval.retriever import HybridRetriever
    except ImportError as exc:
        raise ArmUnavailable(f"the retrieval arm cannot be loaded: {exc}") from exc
    retriever = HybridRetriever(ctx.settings)
    # Passages come numbered 1..n from the retriever.
    return _extractive_answer_fn(lambda question: retriever.run(question, ctx.kb, top_k=TOP_K).passages)


def baseline_arm(ctx: ArmContext) -> AnswerFn:
    """A naive llama-index retriever (default chunking, in-memory vectors, same embedder), top 10,
    quoted by the same extractive answerer: compared with `retrieval`, only the retrieval design differs."""
    try:
        from assistant.retrieval.baseline import (
            BaselineDocument,
            KefuEmbedding,
            NaiveLlamaIndexRetriever,
        )
    except ImportError as exc:
        raise ArmUnavailable(f"the llama-index baseline cannot be loaded: {exc}") from exc
    from eval.kb import kb_document_texts
    from ingest.db import open_database
    from ingest.embedding import get_embedder
    from ingest.vector_cache import SQLVectorCache

    if ctx.dataset.corpus:
        documents = [BaselineDocument(d.id, d.text, d.title) for d in ctx.dataset.corpus]
    else:  # golden set of files: the documents as ingest parsed them
        documents = [BaselineDocument(s, t) for s, t in kb_document_texts(ctx.settings, ctx.kb).items()]
    embedder = get_embedder(ctx.settings)
    cache = SQLVectorCache(open_database(ctx.settings.sql_url), embedder.name)
    retriever = NaiveLlamaIndexRetriever(documents, KefuEmbedding(embedder, cache=cache))
    return _extractive_answer_fn(lambda question: retriever.run(question, top_k=TOP_K))


def arms() -> dict[str, ArmFactory]:
    """Arm name -> factory, from the `kefu.eval_arms` plug-ins."""
    return plugins.load(GROUP)


def describe_arms() -> dict[str, str]:
    """Arm name -> the first paragraph of its factory's docstring, on one line."""
    return {
        name: " ".join((inspect.getdoc(factory) or "").split("\n\n")[0].split())
        for name, factory in arms().items()
    }


def get_arm(name: str) -> ArmFactory:
    known = arms()
    if name not in known:
        raise ArmUnavailable(f"unknown arm {name!r}; available: {', '.join(sorted(known))}")
    return known[name]
