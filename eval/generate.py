"""Synthetic golden sets from a knowledge base with Ragas' TestsetGenerator.

The chunks of a KB (already chunked by ingest) go to `TestsetGenerator.generate_with_chunks`; each
generated question becomes a golden-set row whose expected_sources are the documents of the
chunks Ragas built it from. Needs a capable LLM (the judge settings): the packaged local model is
far too small to write sensible questions, so it is refused with a message instead of producing
noise.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

from sqlalchemy import select

from ingest.config import Settings
from ingest.db import open_database
from ingest.errors import KefuError, Unavailable


# Multi-hop samples tag each reference context with "<n-hop>\n\n" before the chunk text.
_HOP_TAG = re.compile(r"^<\d+-hop>\s*")


class GeneratorNotConfigured(Unavailable, RuntimeError):
    pass


class GenerationFailed(KefuError, RuntimeError):
    pass


NOT_CONFIGURED = (
    "test-set generation needs a capable LLM: set KEFU_JUDGE_MODEL to a litellm model name "
    "(e.g. deepseek/deepseek-chat, with its API key in the environment) or to the model served by "
    "an OpenAI-compatible server given in KEFU_JUDGE_API_BASE; or pass --judge MODEL "
    "[--judge-base-url URL]"
)


def check_generator(model: str | None) -> str:
    if not model:
        raise GeneratorNotConfigured(NOT_CONFIGURED)
    if model.startswith("kefu-local/"):
        raise GeneratorNotConfigured(
            f"{model} is the packaged 135M-parameter model, too small to write test questions; "
            + NOT_CONFIGURED
        )
    return model


def kb_chunks(settings: Settings, kb: str) -> list[tuple[str, str]]:
    """(source, text) of every chunk of the knowledge base, in document order."""
    from ingest.models import Chunk, Document
    from ingest.registry import current_chunk_ids, get_kb

    with open_database(settings.sql_url).session() as session:
        kb_id = get_kb(session, kb).id
        return [
            (source, text)
            for source, text in session.execute(
                select(Document.source, Chunk.text)
                .join(Chunk, Chunk.doc_id == Document.id)
                .where(
                    Document.kb_id == kb_id, Chunk.id.in_(current_chunk_ids(kb_id))
                )  # not older versions' chunks
                .order_by(Document.source, Chunk.ordinal)
            )
        ]


def generate_golden_set(
    settings: Settings,
    kb: str,
    out: Path,
    *,
    model: str | None,
    base_url: str | None,
    size: int = 20,
    max_chunks: int = 200,
    seed: int = 0,
) -> int:
    """Writes a golden-set JSONL to `out`; returns the number of questions written."""
    model = check_generator(model)
    chunks = kb_chunks(settings, kb)
    if not chunks:
        raise ValueError(f"knowledge base {kb!r} has no chunks")
    if len(chunks) > max_chunks:  # the knowledge graph transforms cost LLM calls per chunk
        chunks = random.Random(seed).sample(chunks, max_chunks)

    from langchain_core.documents import Document as LCDocument
    from ragas.dataset_schema import SingleTurnSample
    from ragas.run_config import RunConfig
    from ragas.testset import Testset, TestsetGenerator

    from ingest.config import get_settings
    from eval.judge_models import make_embeddings, make_llm

    eval_settings = get_settings().eval
    llm = make_llm(
        model,
        base_url=base_url or eval_settings.judge_api_base,
        api_key=eval_settings.judge_api_key,
        timeout_s=eval_settings.judge_timeout_s,
        settings=settings,
    )
    generator = TestsetGenerator(llm=llm, embedding_model=make_embeddings(settings))  # type: ignore[arg-type]
    try:
        testset = generator.generate_with_chunks(
            [LCDocument(page_content=text, metadata={"source": source}) for source, text in chunks],
            testset_size=size,
            # Ragas retries 10 times with back-off by default: minutes before an unreachable model
            # is reported.
            run_config=RunConfig(timeout=int(eval_settings.judge_timeout_s), max_retries=2),
        )
    except Exception as exc:  # ragas, instructor and the client raise many types
        raise GenerationFailed(
            f"Ragas test-set generation with {model} failed: {type(exc).__name__}: {exc}"
        ) from exc
    assert isinstance(testset, Testset)  # an Executor only with return_executor=True
    source_of = {text: source for source, text in chunks}
    out.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with out.open("w", encoding="utf-8") as handle:
        for i, sample in enumerate(testset.samples, 1):
            turn = sample.eval_sample
            if not isinstance(turn, SingleTurnSample) or not (turn.user_input or "").strip():
                continue  # multi-turn samples are not produced by the default query distribution
            question = turn.user_input or ""
            contexts = [_HOP_TAG.sub("", c) for c in turn.reference_contexts or []]
            sources = [source_of[c] for c in contexts if c in source_of]
            row = {
                "id": f"generated-{i}",
                "question": question.strip(),
                "reference_answer": turn.reference or "",
                "expected_sources": "|".join(dict.fromkeys(sources)),
                "answerable": True,
                "history": [],
                "synthesizer": sample.synthesizer_name,
            }
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            written += 1
    return written
