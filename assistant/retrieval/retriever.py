"""HybridRetriever: query -> BM25 (+ in translation) + dense + titles -> weighted fusion -> FAQ boost -> (rerank) -> passages.

    snapshot  current catalog + BM25 index of the knowledge base (snapshot.py; cached per process)
    bm25      lexical ranking within the allowed chunks
    translated  in a bilingual knowledge base, BM25 of the query's words in translation over
              the other language's chunks (crosslingual.py); off unless translated_weight is set
    dense     embedding ranking (Chroma, same filters)
    title     the query vector against document titles alone (titles.py)
    fuse      weighted score fusion (default) or weighted reciprocal-rank fusion (fusion.py)
    edition   among a page's editions, the one the question names, else the newest, goes first
              (editions.py); then at most max_chunks_per_document chunks of one document, and
              max_faq_pairs_per_document pairs of one FAQ file, go first (fusion.collapse)
    hydrate   chunk + document rows from SQL for the best candidates (drops ids deleted meanwhile)
    faq       an FAQ whose question the query nearly repeats moves up (fusion.FAQ_STRONG_MATCH)
    rerank    optional, by config (a litellm rerank model)
Each step's wall time is reported in RetrievalResult.timings_ms.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from sqlalchemy import select

from assistant.retrieval.synonyms import synonym_groups
from assistant.retrieval.acronyms import with_acronyms_spelled_out
from assistant.retrieval.bm25 import BM25Retriever
from assistant.retrieval.crosslingual import TranslatedBM25
from ingest.config import RetrievalSettings, Settings, get_settings
from assistant.retrieval.dense import DenseRetriever
from assistant.retrieval.editions import EditionPreference
from assistant.retrieval.fusion import LiteLLMReranker, Reranker, RerankError, boost, collapse, fuse
from assistant.retrieval.snapshot import KBSnapshot, SnapshotStore
from assistant.retrieval.text import terms
from assistant.retrieval.titles import TitleRetriever
from assistant.retrieval.twins import without_twins
from assistant.retrieval.types import RankedList, RetrievalFilters, RetrievalResult
from assistant.timing import StepTimer
from assistant.types import Passage, PassageScores
from ingest.db import Database, open_database
from ingest.embedding import Embedder, get_embedder
from ingest.models import Chunk, DocumentRevision, VersionDocument
from ingest.text import CJK_RUN_RE, detect_language
from ingest.vectorstore import VectorStore
from ingest.versions import VersionRef

log = logging.getLogger(__name__)

# Fused candidates read from SQL: enough for the answer, the FAQ boost to look at, and the reranker.
HYDRATE_MIN = 20
# The best chunks of BM25 in translation offered beside the fused ones (RetrievalResult.in_translation).
IN_TRANSLATION = 5
# Passages a snapshot keeps (about 1-2 KB each); past this it starts again.
PASSAGES_KEPT = 20_000


@lru_cache(maxsize=8192)
def question_terms(question: str) -> frozenset[str]:
    # FAQ questions come back on query after query: tokenising them (jieba for Chinese) was a
    # fifth of retrieval's CPU time on the sample knowledge base.
    return frozenset(terms(question))


def faq_match_strength(query_terms: set[str], questions: str) -> float:
    """How closely the query matches one of an FAQ's questions (one per line of its match text):
    the best Dice overlap of term sets, 0..1. A paraphrase shares most content terms; a query that
    only shares the topic shares one or two."""
    best = 0.0
    chinese_query = any(CJK_RUN_RE.search(t) for t in query_terms)
    for question in questions.splitlines():
        if not chinese_query and CJK_RUN_RE.search(question):
            # Its Chinese words cannot be the query's (nor can most of it be: no strong match),
            # and cutting them into words loads jieba's dictionary (0.6 s) on an English turn.
            continue
        asked = question_terms(question)
        if asked and query_terms:
            best = max(best, 2 * len(query_terms & asked) / (len(query_terms) + len(asked)))
    return best


def document_units(snapshot: KBSnapshot, ranked: RankedList, *, faq: bool = False) -> dict[str, int]:
    """chunk id -> its document's position in the catalog, for the chunks that collapse per
    document: document text (faq=False), or the pairs of one FAQ file (faq=True)."""
    catalog = snapshot.catalog
    units: dict[str, int] = {}
    for hit in ranked.hits:
        row = catalog.position.get(hit.chunk_id)
        if row is not None and (catalog.kinds[row] == "faq") == faq:
            units[hit.chunk_id] = int(catalog.doc_index[row])
    return units


def collapse_documents(snapshot: KBSnapshot, ranked: RankedList, retrieval: RetrievalSettings) -> RankedList:
    """At most max_chunks_per_document chunks of one document, and max_faq_pairs_per_document
    pairs of one FAQ file, among the leading hits (fusion.collapse)."""
    text = collapse(ranked, document_units(snapshot, ranked), retrieval.max_chunks_per_document)
    return collapse(text, document_units(snapshot, text, faq=True), retrieval.max_faq_pairs_per_document)


def reranker_from_settings(retrieval: RetrievalSettings) -> Reranker | None:
    if not retrieval.rerank_model:
        return None
    return LiteLLMReranker(
        retrieval.rerank_model,
        api_base=retrieval.rerank_api_base,
        api_key=retrieval.rerank_api_key,
        timeout_s=retrieval.rerank_timeout_s,
    )


_snapshot_stores: dict[tuple[Path, str], SnapshotStore] = {}
_snapshot_stores_lock = threading.Lock()


def shared_snapshots(settings: Settings, database: Database) -> SnapshotStore:
    """One snapshot store per (data dir, database) per process, so loaded indexes are reused."""
    key = (settings.data_dir.resolve(), database.url)
    with _snapshot_stores_lock:
        if key not in _snapshot_stores:
            _snapshot_stores[key] = SnapshotStore(settings, database)
        return _snapshot_stores[key]


class HybridRetriever:
    def __init__(
        self,
        settings: Settings | None = None,
        *,
        retrieval: RetrievalSettings | None = None,
        database: Database | None = None,
        store: VectorStore | None = None,
        embedder: Embedder | None = None,
        reranker: Reranker | None = None,
    ) -> None:
        self.settings = settings or get_settings()
        self.retrieval = retrieval or self.settings.retrieval
        self.db = database or open_database(self.settings.sql_url)
        self.snapshots = shared_snapshots(self.settings, self.db)
        self.bm25 = BM25Retriever()
        self.translated = TranslatedBM25()
        embedder = embedder or get_embedder(self.settings)
        self.dense = DenseRetriever(embedder, store or VectorStore(self.settings))
        self.title = TitleRetriever()
        self.editions = EditionPreference()
        self.reranker = reranker if reranker is not None else reranker_from_settings(self.retrieval)

    def run(
        self,
        query: str,
        kb: str,
        top_k: int = 5,
        filters: RetrievalFilters | None = None,
        version: VersionRef = "published",
    ) -> RetrievalResult:
        """version: which version of the knowledge base to search: the published one (what
        customers get), "draft" (the newest) or a version number (ingest.versions)."""
        if top_k < 1:
            raise ValueError(f"top_k must be at least 1, got {top_k}")
        timer = StepTimer()
        with timer.step("index"):
            snapshot = self.snapshots.get(kb, version)
            mask = snapshot.catalog.mask(filters)
        n = max(self.retrieval.retrieval_candidates, top_k)
        # An acronym no page uses, searched as a title spells it out ("SLA": service level agreement).
        searched = with_acronyms_spelled_out(
            query, (d.title for d in snapshot.catalog.documents), snapshot.bm25.holds
        )
        with timer.step("bm25"):
            lexical = self.bm25.run(
                searched,
                snapshot.bm25,
                snapshot.catalog.chunk_ids,
                top_n=n,
                mask=mask,
                synonyms=synonym_groups().searched_with(searched, snapshot.bm25.holds),
            )
            # Computed either way: off in fusion, its best hits are still offered to the answer
            # step as records named in translation (RetrievalResult.in_translation).
            in_translation = self.translated.run(
                searched,
                snapshot.bm25,
                snapshot.catalog.chunk_ids,
                snapshot.catalog.langs,
                top_n=n,
                mask=mask,
            )
            translated = (
                in_translation
                if self.retrieval.translated_weight > 0
                else RankedList(self.translated.name, [])
            )
        with timer.step("dense"):
            vector = self.dense.embed(searched, snapshot)
            dense = self.dense.run(vector, snapshot, top_n=n, filters=filters)
        with timer.step("title"):
            found = {h.chunk_id for h in lexical.hits} | {h.chunk_id for h in dense.hits}
            titles = self.title.run(
                vector, snapshot.catalog, snapshot.titles, top_n=n, mask=mask, found=found
            )
        with timer.step("fuse"):
            r = self.retrieval
            fused = fuse([lexical, translated, dense, titles.leading], r.fusion_method, r.weights, r.rrf_k)
        with timer.step("edition"):
            fused = self.editions.run(fused, snapshot.catalog, query)
        with timer.step("fuse"):
            fused = collapse_documents(snapshot, fused, r)
        with timer.step("hydrate"):
            pool = max(top_k, HYDRATE_MIN, r.rerank_candidates if self.reranker else 0)
            passages = self._hydrate(snapshot, fused, pool)
            offered = RankedList(in_translation.retriever, in_translation.hits[:IN_TRANSLATION])
            in_other_language = list(self._hydrate(snapshot, offered, IN_TRANSLATION).values())
        query_terms = set(terms(searched))
        with timer.step("faq"):
            strengths = {
                p.chunk_id: faq_match_strength(query_terms, p.extra["questions"])
                for p in passages.values()
                if p.kind == "faq"
            }
            fused = collapse_documents(snapshot, boost(fused, strengths, r.faq_boost), r)
        ordered = _scored(
            [passages[h.chunk_id] for h in fused.hits if h.chunk_id in passages],
            fused,
            [lexical, translated, dense, titles.matched],
            strengths,
        )
        warnings: list[str] = []
        if self.reranker is not None:
            with timer.step("rerank"):
                ordered = (
                    self._rerank(query, ordered[: r.rerank_candidates], warnings)
                    + ordered[r.rerank_candidates :]
                )
        # A page's translation below the page itself holds nothing the customer's language lacks.
        ordered = without_twins(ordered, detect_language(query))
        result_passages = [replace(passage, n=number) for number, passage in enumerate(ordered[:top_k], 1)]
        timer.ms["total"] = timer.total()
        return RetrievalResult(
            passages=result_passages,
            timings_ms=timer.ms,
            candidates={
                "bm25": lexical,
                "translated": translated,
                "dense": dense,
                "title": titles.leading,
                "fused": fused,
            },
            kb_version=snapshot.version,
            query_terms={t: snapshot.bm25.idf(t) for t in query_terms},
            warnings=warnings,
            query=searched,
            in_translation=in_other_language,
        )

    def snapshot(self, kb: str, version: VersionRef = "published") -> KBSnapshot:
        """One version's catalog and BM25 index (built or loaded if needed)."""
        return self.snapshots.get(kb, version)

    def _rerank(self, query: str, passages: list[Passage], warnings: list[str]) -> list[Passage]:
        assert self.reranker is not None
        try:
            return self.reranker.rerank(query, passages)
        except RerankError as exc:
            # Retrieval still answers with the fused order; the caller sees why.
            log.warning("%s", exc)
            warnings.append(str(exc))
            return passages

    def _hydrate(self, snapshot: KBSnapshot, fused: RankedList, pool: int) -> dict[str, Passage]:
        """Passages for the best `pool` candidates. Their rows are read from SQL once per snapshot:
        a snapshot stands for one state of the knowledge base's documents, so its rows cannot go
        stale, and popular chunks come back query after query (the ORM read was a third of
        retrieval's CPU time). Passages are frozen, so every query shares them."""
        ids = [h.chunk_id for h in fused.hits[:pool]]
        read = snapshot.passages
        missing = [chunk_id for chunk_id in ids if chunk_id not in read]
        if missing:
            if len(read) + len(missing) > PASSAGES_KEPT:
                read.clear()
            read.update(self._read(missing, snapshot.fingerprint.version_row))
        # Not in `read`: deleted since the snapshot was read.
        return {chunk_id: read[chunk_id] for chunk_id in ids if chunk_id in read}

    def _read(self, ids: list[str], version_row: int) -> dict[str, Passage]:
        # Document fields come from the revision the version lists, not the working state: a
        # draft's new title or a removed document must not reach customers before it is published.
        revisions = select(VersionDocument.revision_id).where(VersionDocument.version_id == version_row)
        with self.db.session() as session:
            rows = session.execute(
                select(
                    Chunk,
                    DocumentRevision.title,
                    DocumentRevision.url,
                    DocumentRevision.source,
                    DocumentRevision.extra,
                )
                .join(DocumentRevision, DocumentRevision.doc_id == Chunk.doc_id)
                .where(
                    Chunk.id.in_(ids),
                    Chunk.quarantine_reason.is_(None),  # never to the model
                    DocumentRevision.id.in_(revisions),
                )
            ).all()
        passages: dict[str, Passage] = {}
        for chunk, title, url, source, doc_extra in rows:
            extra = {**(doc_extra or {}), **(chunk.extra or {})}
            if chunk.kind == "faq":
                extra["questions"] = chunk.match_text
            passages[chunk.id] = Passage(
                chunk_id=chunk.id,
                doc_id=chunk.doc_id,
                text=chunk.text,
                title=title or "",
                heading_path=list(chunk.heading_path or []),
                page=chunk.page,
                url=url,
                source=source,
                lang=chunk.lang,
                kind=chunk.kind,
                extra=extra,
            )
        return passages


def _scored(
    passages: list[Passage], fused: RankedList, retrieved: list[RankedList], faq: dict[str, float]
) -> list[Passage]:
    """The passages with their scores: the fused one, each retriever's score and rank (None: that
    retriever did not return it), and an FAQ entry's question match strength."""
    fused_scores = fused.scores()
    by_retriever = {ranked.retriever: (ranked.scores(), ranked.ranks()) for ranked in retrieved}
    result = []
    for passage in passages:
        found: dict[str, float | int | None] = {
            "fused": fused_scores[passage.chunk_id],
            "faq": faq.get(passage.chunk_id),
        }
        for name, (scores, ranks) in by_retriever.items():
            found[name], found[f"{name}_rank"] = scores.get(passage.chunk_id), ranks.get(passage.chunk_id)
        result.append(replace(passage, scores=PassageScores(**found)))  # type: ignore[arg-type]
    return result
