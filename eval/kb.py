"""The knowledge base a data set is evaluated against, built once per corpus version.

The KB name is derived from the corpus content and the settings that shape its chunks and
vectors, so a second run of the same data set reuses it without re-embedding, and a change of
corpus, chunking or embedder gets a fresh KB instead of a stale one.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from assistant.guards.ingest_screen import PlantedInstructionScreen
from eval.datasets import CorpusDoc, EvalDataset
from ingest.chunking import CHUNKER_VERSION
from ingest.config import Settings
from ingest.db import open_database
from ingest.errors import KefuError

if TYPE_CHECKING:
    from ingest.types import ParsedDocument

Progress = Callable[[str, int, int], None]  # (stage, done, total), as ingest.pipeline.Progress


class KBBuildError(KefuError, RuntimeError):
    pass


@dataclass
class KBRef:
    name: str
    version: int
    reused: bool = False  # True when an up-to-date KB from an earlier run was used as it was
    failed_documents: int = 0


KBBuilder = Callable[[EvalDataset, Settings, Progress | None], KBRef]


def kb_name(dataset: EvalDataset, settings: Settings) -> str:
    key = hashlib.sha256(
        "|".join(
            [
                dataset.corpus_hash,
                settings.embed_model,
                str(settings.chunk_tokens),
                str(settings.chunk_overlap_tokens),
                f"chunker{CHUNKER_VERSION}",
            ]
        ).encode()
    ).hexdigest()
    slug = re.sub(r"[^a-z0-9]+", "-", dataset.name.lower()).strip("-")[:48] or "dataset"
    return f"eval-{slug}-{key[:12]}"


def parsed_document(doc: CorpusDoc) -> ParsedDocument:
    from ingest.text import detect_language
    from ingest.types import ParsedDocument, Section

    url = doc.extra.get("url")
    return ParsedDocument(
        source=doc.id,
        title=doc.title,
        file_type="dataset",
        sections=[Section(text=doc.text)],
        lang=detect_language(f"{doc.title}\n{doc.text}"),
        url=url if isinstance(url, str) else None,
    )


def _complete(settings: Settings, name: str, documents: int) -> int | None:
    """The version of KB `name` if it holds `documents` documents, all embedded; else None."""
    from ingest.registry import KnowledgeBaseNotFound, get_kb, summarise

    with open_database(settings.sql_url).session() as session:
        try:
            kb = get_kb(session, name)
        except KnowledgeBaseNotFound:
            return None
        summary = summarise(session, kb)
        if summary.documents == documents and summary.pending == 0 and summary.version > 0:
            return summary.version
    return None


def build_dataset_kb(dataset: EvalDataset, settings: Settings, progress: Progress | None = None) -> KBRef:
    """Ingest the data set's documents into its KB (unchanged documents and cached vectors are
    skipped by the ingest pipeline; a complete inline corpus is not even re-chunked)."""
    from ingest.pipeline import IngestPipeline, no_progress

    name = kb_name(dataset, settings)
    if dataset.corpus:
        version = _complete(settings, name, len(dataset.corpus))
        if version is not None:
            # Title vectors may predate this KB (they are cheap: one short text per document).
            IngestPipeline(settings).embed_pending(name)
            return KBRef(name, version, reused=True)
    pipeline = IngestPipeline(settings, screen=PlantedInstructionScreen())
    if dataset.corpus:
        docs = [parsed_document(doc) for doc in dataset.corpus]
        report = pipeline.ingest_documents(docs, name, progress=progress or no_progress)
    elif dataset.corpus_dir is not None:
        report = pipeline.ingest_paths(
            [dataset.corpus_dir], name, delete_missing=True, progress=progress or no_progress
        )
    else:
        raise KBBuildError(
            f"{dataset.path} has no documents: give a corpus folder (--corpus) or an existing "
            "knowledge base (--kb)"
        )
    if report.failed and len(report.failed) == len(report.files):
        reasons = "; ".join(f"{f.source}: {f.reason}" for f in report.failed[:5])
        raise KBBuildError(f"no document of {dataset.name} could be ingested ({reasons})")
    if report.pending:
        raise KBBuildError(
            f"{report.pending} chunks of {name} have no vector; run `kefu kb embed --kb {name}`"
        )
    reused = not any(f.outcome in ("added", "changed", "removed") for f in report.files)
    return KBRef(name, report.version, reused=reused, failed_documents=len(report.failed))


def existing_kb(settings: Settings, name: str) -> KBRef:
    from ingest.registry import get_kb

    with open_database(settings.sql_url).session() as session:
        return KBRef(name, get_kb(session, name).version, reused=True)


def kb_document_texts(settings: Settings, kb: str, sources: set[str] | None = None) -> dict[str, str]:
    """Document source -> its chunks' text joined in order (all documents when sources is None)."""
    from ingest.models import Chunk, Document
    from ingest.registry import current_chunk_ids, get_kb

    texts: dict[str, list[str]] = {}
    with open_database(settings.sql_url).session() as session:
        kb_id = get_kb(session, kb).id
        query = (
            select(Document.source, Chunk.text)
            .join(Chunk, Chunk.doc_id == Document.id)
            .where(
                Document.kb_id == kb_id, Chunk.id.in_(current_chunk_ids(kb_id))
            )  # not older versions' chunks
            .order_by(Document.source, Chunk.ordinal)
        )
        if sources is not None:
            query = query.where(Document.source.in_(sources))
        for source, text in session.execute(query):
            texts.setdefault(source, []).append(text)
    return {source: "\n".join(parts) for source, parts in texts.items()}


def reference_texts(dataset: EvalDataset, settings: Settings, kb: str, doc_ids: set[str]) -> dict[str, str]:
    """The text of each gold document: from the inline corpus, else joined from the KB's chunks
    (golden sets whose documents are files)."""
    if dataset.corpus:
        return {doc.id: doc.text for doc in dataset.corpus if doc.id in doc_ids}
    return kb_document_texts(settings, kb, doc_ids) if doc_ids else {}
