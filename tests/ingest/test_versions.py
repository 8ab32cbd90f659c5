"""Knowledge-base versions and the trash, on SQLite and PostgreSQL, with real Chroma and the real
local embedder: what a search of the published version (customers) and of the draft (owners, QA)
returns, rollback, prune with shared chunks, restore with documents and vectors."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from assistant.retrieval import HybridRetriever
from ingest.config import Settings
from ingest.models import Chunk, Document, KnowledgeBase
from ingest.pipeline import IngestPipeline
from ingest.registry import KnowledgeBaseNotFound, current_chunk_ids, get_kb, list_kbs
from ingest.types import ParsedDocument, Section
from ingest.versions import (
    NameTaken,
    NotInTrash,
    VersionError,
    VersionNotFound,
    diff,
    list_versions,
    version_state,
)

PAGES = {
    "returns.md": "# Returns\n\nYou can return any item within 30 days with the receipt.\n",
    "shipping.md": "# Shipping\n\nStandard shipping takes 3 to 5 business days.\n",
    "warranty.md": "# Warranty\n\nEvery appliance has a two year warranty against defects.\n",
}


def write(root: Path, pages: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in pages.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    overrides: dict[str, object] = {"auto_publish": False}
    if request.param == "postgres":
        overrides["database_url"] = request.getfixturevalue("postgres_url")
    return Settings(data_dir=tmp_path / "kefu-data", embed_batch_size=8, **overrides)


def texts(retriever: HybridRetriever, query: str, kb: str, version: object = "published") -> list[str]:
    return [p.text for p in retriever.run(query, kb, top_k=3, version=version).passages]  # type: ignore[arg-type]


def sources(retriever: HybridRetriever, query: str, kb: str, version: object = "published") -> set[str]:
    return {p.source for p in retriever.run(query, kb, top_k=5, version=version).passages}  # type: ignore[arg-type]


def working_state(pipeline: IngestPipeline, kb: str) -> tuple[list[tuple[str, str, int]], set[str]]:
    """Documents (source, content hash, version) and chunk ids of the working state."""
    with pipeline.db.session() as session:
        kb_row = get_kb(session, kb)
        docs = [
            (d.source, d.content_hash, d.version)
            for d in session.scalars(
                select(Document).where(Document.kb_id == kb_row.id).order_by(Document.source)
            )
        ]
        return docs, set(session.scalars(current_chunk_ids(kb_row.id)))


def test_drafts_reach_customers_only_when_published(backend: Settings, tmp_path: Path) -> None:
    docs = write(tmp_path / "docs", PAGES)
    pipeline = IngestPipeline(backend)
    retriever = HybridRetriever(
        backend, database=pipeline.db, store=pipeline.store, embedder=pipeline.embedder
    )
    kb = "shop"

    assert pipeline.ingest_paths([docs], kb).version == 1
    # Nothing published yet: customers get nothing; owners and QA search the draft.
    assert texts(retriever, "how long does shipping take", kb) == []
    assert any("3 to 5" in t for t in texts(retriever, "how long does shipping take", kb, "draft"))

    assert pipeline.publish(kb, 1) == 1
    assert any("3 to 5" in t for t in texts(retriever, "how long does shipping take", kb))

    write(docs, {"shipping.md": "# Delivery\n\nExpress shipping takes 1 day.\n"})
    assert pipeline.ingest_paths([docs], kb).version == 2
    customers = texts(retriever, "how long does shipping take", kb)
    assert any("3 to 5" in t for t in customers) and not any("Express" in t for t in customers)
    drafted = texts(retriever, "how long does shipping take", kb, "draft")
    assert any("Express" in t for t in drafted) and not any("3 to 5" in t for t in drafted)
    # The draft's new title is not shown to customers either: passages carry the published revision's.
    published = retriever.run("how long does shipping take", kb, top_k=3).passages
    assert {p.title for p in published if p.source == "shipping.md"} == {"Shipping"}

    # A removal in the draft leaves the published version whole.
    pipeline.remove_document(kb, "returns.md")
    assert "returns.md" in sources(retriever, "return an item with the receipt", kb)
    assert "returns.md" not in sources(retriever, "return an item with the receipt", kb, "draft")

    # Publish and rollback move what customers get, and nothing else.
    before = working_state(pipeline, kb)
    assert pipeline.publish(kb, 3) == 3
    assert "returns.md" not in sources(retriever, "return an item with the receipt", kb)
    assert any("Express" in t for t in texts(retriever, "how long does shipping take", kb))
    assert working_state(pipeline, kb) == before
    assert pipeline.rollback(kb) == 1  # v2 was never published: rollback goes to the one before
    assert any("3 to 5" in t for t in texts(retriever, "how long does shipping take", kb))
    assert "returns.md" in sources(retriever, "return an item with the receipt", kb)
    assert working_state(pipeline, kb) == before
    assert any("Express" in t for t in texts(retriever, "how long does shipping take", kb, "draft"))
    with pytest.raises(VersionError):
        pipeline.rollback(kb)  # nothing published before version 1
    with pytest.raises(VersionNotFound):
        pipeline.publish(kb, 99)

    with pipeline.db.session() as session:
        kb_row = get_kb(session, kb)
        states = {row.version: version_state(kb_row, row) for row in list_versions(session, kb_row)}
        assert states == {3: "draft", 2: "draft", 1: "published"}
        changes = diff(session, kb_row, 1, 3)
    assert {(c.source, c.change) for c in changes.documents} == {
        ("shipping.md", "changed"),
        ("returns.md", "removed"),
    }
    assert changes.chunks_shared >= 1 and changes.chunks_added >= 1 and changes.chunks_removed >= 2
    assert changes.config == {}


def test_auto_publish_serves_each_version_and_rolls_back(settings: Settings, tmp_path: Path) -> None:
    assert settings.auto_publish  # the default: today's behaviour
    docs = write(tmp_path / "docs", PAGES)
    pipeline = IngestPipeline(settings)
    retriever = HybridRetriever(
        settings, database=pipeline.db, store=pipeline.store, embedder=pipeline.embedder
    )
    pipeline.ingest_paths([docs], "kb")
    write(docs, {"shipping.md": "# Shipping\n\nExpress shipping takes 1 day.\n"})
    assert pipeline.ingest_paths([docs], "kb").version == 2
    assert any("Express" in t for t in texts(retriever, "how long does shipping take", "kb"))
    assert pipeline.rollback("kb") == 1
    assert any("3 to 5" in t for t in texts(retriever, "how long does shipping take", "kb"))
    assert retriever.run("shipping", "kb").kb_version == 1


def faq(answer: str) -> ParsedDocument:
    return ParsedDocument(
        source="faq/refund",
        title="How long do refunds take?",
        file_type="faq",
        lang="en",
        sections=[Section(text=answer, kind="faq", question="How long do refunds take?")],
    )


def test_faq_answer_edit_is_a_new_chunk(backend: Settings) -> None:
    """The edited answer keeps the question (the match text): the chunk id must still change, or
    the published version would show the draft's answer."""
    pipeline = IngestPipeline(backend)
    retriever = HybridRetriever(
        backend, database=pipeline.db, store=pipeline.store, embedder=pipeline.embedder
    )
    pipeline.ingest_documents([faq("Refunds take 5 days.")], "kb")
    pipeline.publish("kb", 1)
    pipeline.ingest_documents([faq("Refunds take 10 days.")], "kb")
    assert texts(retriever, "How long do refunds take?", "kb")[0].endswith("Refunds take 5 days.")
    assert texts(retriever, "How long do refunds take?", "kb", "draft")[0].endswith("Refunds take 10 days.")


def test_prune_keeps_newest_published_and_shared_chunks(backend: Settings, tmp_path: Path) -> None:
    docs = write(tmp_path / "docs", PAGES)
    pipeline = IngestPipeline(backend)
    retriever = HybridRetriever(
        backend, database=pipeline.db, store=pipeline.store, embedder=pipeline.embedder
    )
    pipeline.ingest_paths([docs], "kb")
    pipeline.publish("kb", 1)
    for n in range(2, 7):  # versions 2..6, shipping.md changes each time
        write(docs, {"shipping.md": f"# Shipping\n\nShipping takes {n} days, tracking number {n * 1111}.\n"})
        assert pipeline.ingest_paths([docs], "kb").version == n

    with pipeline.db.session() as session:
        kb_id = get_kb(session, "kb").id
        stored_before = session.scalar(select(func.count()).where(Chunk.kb_id == kb_id))
    result = pipeline.prune("kb", keep=2)
    assert result.versions == [2, 3, 4]  # kept: 6 and 5 (newest), 1 (published)
    assert len(result.chunk_ids) == 3  # the shipping chunks only versions 2-4 listed
    with pipeline.db.session() as session:
        kb_row = get_kb(session, "kb")
        assert [row.version for row in list_versions(session, kb_row)] == [6, 5, 1]
        stored = set(session.scalars(select(Chunk.id).where(Chunk.kb_id == kb_id)))
    assert len(stored) == stored_before - 3
    assert pipeline.store.ids(kb_id, embed_model=pipeline.embedder.name, dim=pipeline.embedder.dim) == stored
    # Every retained version is still whole; the unchanged documents' chunks were shared by all.
    for version, expected in ((1, "3 to 5"), (5, "5 days"), (6, "6 days")):
        assert any(expected in t for t in texts(retriever, "how long does shipping take", "kb", version))
        assert "warranty.md" in sources(retriever, "appliance warranty against defects", "kb", version)
    with pytest.raises(VersionNotFound):
        retriever.run("shipping", "kb", version=3)
    with pytest.raises(VersionError):
        pipeline.prune("kb", keep=0)


def test_trash_restores_documents_and_vectors(backend: Settings, tmp_path: Path) -> None:
    docs = write(tmp_path / "docs", PAGES)
    pipeline = IngestPipeline(backend)
    retriever = HybridRetriever(
        backend, database=pipeline.db, store=pipeline.store, embedder=pipeline.embedder
    )
    pipeline.ingest_paths([docs], "shop")
    pipeline.publish("shop", 1)
    with pipeline.db.session() as session:
        kb_id = get_kb(session, "shop").id
    before = working_state(pipeline, "shop")
    vectors = pipeline.store.ids(kb_id, embed_model=pipeline.embedder.name, dim=pipeline.embedder.dim)
    hits = texts(retriever, "how long does shipping take", "shop")

    pipeline.drop("shop")
    with pipeline.db.session() as session:
        assert "shop" not in [kb.name for kb in list_kbs(session)]
        with pytest.raises(KnowledgeBaseNotFound):
            get_kb(session, "shop")
    with pytest.raises(KnowledgeBaseNotFound):
        retriever.run("shipping", "shop")
    # The name is free meanwhile; restoring over a live knowledge base of that name is refused.
    pipeline.ingest_paths([write(tmp_path / "other", {"a.md": "# A\n\nSomething else.\n"})], "shop")
    with pytest.raises(NameTaken):
        pipeline.restore("shop")
    assert pipeline.restore("shop", as_name="shop-restored") == "shop-restored"

    assert working_state(pipeline, "shop-restored") == before
    assert pipeline.store.ids(kb_id, embed_model=pipeline.embedder.name, dim=pipeline.embedder.dim) == vectors
    assert texts(retriever, "how long does shipping take", "shop-restored") == hits
    with pytest.raises(NotInTrash):
        pipeline.restore("shop")  # nothing called "shop" is in the trash any more


def test_trash_is_purged_after_its_time(backend: Settings, tmp_path: Path) -> None:
    pipeline = IngestPipeline(backend.model_copy(update={"trash_days": 1.0}))
    pipeline.ingest_paths([write(tmp_path / "docs", PAGES)], "old")
    pipeline.drop("old")
    assert pipeline.purge_expired() == []  # not a day old yet
    with pipeline.db.session() as session:
        kb = session.scalar(select(KnowledgeBase).where(KnowledgeBase.trashed_name == "old"))
        assert kb is not None
        kb.deleted_at = kb.deleted_at - timedelta(days=2)
        kb_id = kb.id
    assert pipeline.purge_expired() == ["old"]
    with pipeline.db.session() as session:
        assert session.scalar(select(func.count()).where(Chunk.kb_id == kb_id)) == 0
        assert session.get(KnowledgeBase, kb_id) is None
    with pytest.raises(NotInTrash):
        pipeline.restore("old")
