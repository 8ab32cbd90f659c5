"""HybridRetriever against a real knowledge base: right chunks in both languages, filters, FAQ,
passage fields, and BM25 staying consistent with SQL and Chroma through add / change / delete."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from assistant.retrieval import HybridRetriever, RetrievalFilters
from ingest.config import RetrievalSettings, Settings
from assistant.retrieval.snapshot import SnapshotStore
from ingest.models import Chunk, KnowledgeBase
from ingest.pipeline import IngestPipeline
from ingest.registry import current_chunk_ids
from ingest.types import ParsedDocument, Section

KB = "help"


def document(source: str, text: str) -> ParsedDocument:
    return ParsedDocument(
        source=source, title=source.removesuffix(".md").title(), file_type="md", sections=[Section(text)]
    )


def sources(retriever: HybridRetriever, query: str, **kwargs: object) -> list[str]:
    return [p.source for p in retriever.run(query, KB, **kwargs).passages]  # type: ignore[arg-type]


def test_finds_the_right_chunk_in_english_and_chinese(kb_settings: Settings) -> None:
    retriever = HybridRetriever(kb_settings)
    result = retriever.run("How many days do members have to send an item back?", KB, top_k=3)
    best = result.passages[0]
    assert best.source == "returns.md" and "60 days" in best.text
    assert best.n == 1 and best.title == "Returns and refunds" and best.heading_path == ["Returns", "Members"]
    assert best.lang == "en" and best.kind == "text" and best.doc_id
    assert {"bm25", "dense", "fused"} <= set(best.scores.as_dict()) and best.score == best.scores.fused
    assert set(result.timings_ms) >= {"index", "bm25", "dense", "fuse", "hydrate", "total"}
    assert result.kb_version == 1 and result.candidates["bm25"].hits and result.candidates["dense"].hits

    zh = retriever.run("网关怎么恢复出厂设置？", KB, top_k=3).passages[0]
    assert zh.source == "zh-hub.md" and zh.lang == "zh"
    # Loaded indexes are shared by every retriever of the process until the KB changes.
    assert HybridRetriever(kb_settings).snapshot(KB) is retriever.snapshot(KB)


def test_one_chunk_per_document_goes_first(kb_settings: Settings) -> None:
    query = "Can members return items within 60 days without a receipt?"
    unlimited = HybridRetriever(kb_settings, retrieval=RetrievalSettings(max_chunks_per_document=0))
    assert sources(unlimited, query, top_k=3)[:2] == ["returns.md", "returns.md"]
    collapsed = sources(HybridRetriever(kb_settings), query, top_k=3)
    assert collapsed[0] == "returns.md" and len(set(collapsed)) == 3
    # The document's other chunk is not lost: it follows the other documents.
    assert sources(HybridRetriever(kb_settings), query, top_k=20).count("returns.md") == 2


def test_faq_chunks_match_on_their_questions(kb_settings: Settings) -> None:
    retriever = HybridRetriever(kb_settings)
    best = retriever.run("can gift cards and coupons be combined", KB, top_k=3).passages[0]
    assert best.kind == "faq" and best.text.startswith("Q: Can I use a gift card")
    assert best.scores.faq == 1.0  # the query is one of its similar questions


def test_filters(kb_settings: Settings) -> None:
    retriever = HybridRetriever(kb_settings)
    query = "how do I reset the hub / 重置网关"
    assert set(sources(retriever, query, filters=RetrievalFilters(langs="zh"))) <= {
        "zh-returns.md",
        "zh-hub.md",
    }
    assert set(sources(retriever, query, filters=RetrievalFilters(products=["lumo-hub"]))) == {
        "hub-manual.md",
        "zh-hub.md",
    }
    assert set(sources(retriever, query, filters=RetrievalFilters(products="lumo-hub", langs="en"))) == {
        "hub-manual.md"
    }
    assert set(sources(retriever, "returns", filters=RetrievalFilters(tags="returns"))) == {"returns.md"}
    assert set(sources(retriever, "policy", filters=RetrievalFilters(tags=["shipping"]))) == {"shipping.md"}
    assert set(sources(retriever, "password", filters=RetrievalFilters(kinds="faq"))) == {"faq.csv"}
    assert set(sources(retriever, "returns", filters=RetrievalFilters(sources=["zh-returns.md"]))) == {
        "zh-returns.md"
    }
    assert sources(retriever, "returns", filters=RetrievalFilters(tags="no-such-tag")) == []


def test_lexical_search_works_before_vectors_exist(
    fresh_settings: Settings, documents: list[ParsedDocument]
) -> None:
    IngestPipeline(fresh_settings).ingest_documents(documents[:2], KB, embed=False)
    result = HybridRetriever(fresh_settings).run("express delivery next day", KB, top_k=2)
    assert result.passages[0].source == "shipping.md"
    assert result.candidates["dense"].hits == []


def ids_everywhere(
    pipeline: IngestPipeline, retriever: HybridRetriever
) -> tuple[set[str], set[str], set[str]]:
    with pipeline.db.session() as session:
        kb = session.scalar(select(KnowledgeBase).where(KnowledgeBase.name == KB))
        assert kb is not None
        # Chunk rows and vectors of older versions are kept until pruned (ingest.versions): the
        # working state's chunks are what the published (auto-published) version lists.
        stored = set(session.scalars(select(Chunk.id).where(Chunk.kb_id == kb.id)))
        sql = set(session.scalars(current_chunk_ids(kb.id)))
        chroma = pipeline.store.ids(kb.id, embed_model=kb.embed_model, dim=kb.embed_dim)
    assert chroma == stored >= sql
    pipeline.prune(KB, keep=1)
    with pipeline.db.session() as session:
        assert set(session.scalars(select(Chunk.id).where(Chunk.kb_id == kb.id))) == sql
    chroma = pipeline.store.ids(kb.id, embed_model=kb.embed_model, dim=kb.embed_dim)
    return sql, chroma, set(retriever.snapshot(KB).catalog.chunk_ids)


@pytest.fixture(params=["sqlite", "postgres"])
def backend_settings(request: pytest.FixtureRequest, fresh_settings: Settings) -> Settings:
    if request.param == "postgres":
        return fresh_settings.model_copy(update={"database_url": request.getfixturevalue("postgres_url")})
    return fresh_settings


def test_bm25_stays_consistent_with_sql_and_chroma(
    backend_settings: Settings, documents: list[ParsedDocument]
) -> None:
    pipeline = IngestPipeline(backend_settings)
    retriever = HybridRetriever(backend_settings, retrieval=RetrievalSettings(retrieval_candidates=50))
    pipeline.ingest_documents(documents[:3], KB)
    sql, chroma, bm25 = ids_everywhere(pipeline, retriever)
    assert sql == chroma == bm25 and len(sql) == 4

    # add a document
    extra = document("warranty.md", "Every Lumo device has a two-year warranty.")
    pipeline.ingest_documents([extra], KB)
    sql, chroma, bm25 = ids_everywhere(pipeline, retriever)
    assert sql == chroma == bm25 and len(sql) == 5
    assert sources(retriever, "two-year warranty")[0] == "warranty.md"

    # change a document: the old chunk ids disappear from every index
    old_ids = {
        p.chunk_id for p in retriever.run("express delivery", KB).passages if p.source == "shipping.md"
    }
    assert old_ids
    changed = document("shipping.md", "Shipping is free on orders over 50 euros; parcels travel by courier.")
    pipeline.ingest_documents([changed], KB)
    sql, chroma, bm25 = ids_everywhere(pipeline, retriever)
    assert sql == chroma == bm25 and not old_ids & sql
    result = retriever.run("express delivery courier", KB, top_k=5)
    returned = {h.chunk_id for r in result.candidates.values() for h in r.hits}
    assert returned <= sql and "free on orders" in result.passages[0].text

    # delete a document
    pipeline.remove_document(KB, "warranty.md")
    sql, chroma, bm25 = ids_everywhere(pipeline, retriever)
    assert sql == chroma == bm25 and len(sql) == 4
    result = retriever.run("two-year warranty", KB, top_k=5)
    assert "warranty.md" not in [p.source for p in result.passages]
    assert {h.chunk_id for r in result.candidates.values() for h in r.hits} <= sql

    # one persisted index per retained version (prune removed the others); a new store (as in a
    # new process) gets the same snapshot
    snapshot = retriever.snapshot(KB)
    folder = backend_settings.data_dir / "bm25" / f"kb{snapshot.kb_id}"
    assert sorted(p.name for p in folder.iterdir()) == [f"v{snapshot.version}"] and snapshot.version == 4
    assert (folder / f"v{snapshot.version}" / "meta.json").exists()
    reloaded = SnapshotStore(backend_settings, pipeline.db).get(KB)
    assert reloaded.catalog.chunk_ids == snapshot.catalog.chunk_ids
