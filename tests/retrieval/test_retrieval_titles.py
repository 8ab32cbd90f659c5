"""The title step: titles get vectors at ingest, a paraphrase of an FAQ entry's question finds it
by its title, filters and deletes apply, and titles embedded after a snapshot was read show up."""

from __future__ import annotations

import pytest

from assistant.retrieval import HybridRetriever, RetrievalFilters, titles
from ingest.config import Settings
from ingest.pipeline import IngestPipeline
from ingest.types import ParsedDocument, Section

KB = "faq-like"


def entry(source: str, question: str, answer: str) -> ParsedDocument:
    # Like covid_faq: each entry is a document titled by its question; the body answers it
    # without repeating it, so the body's words say little about what was asked.
    return ParsedDocument(source=source, title=question, file_type="md", sections=[Section(answer)])


ENTRIES = [
    entry(
        "address.md",
        "Can I change the delivery address after ordering?",
        "Yes, until the parcel leaves our warehouse. Open Orders, pick the order and edit it.",
    ),
    entry(
        "lost.md",
        "What happens if my parcel is lost?",
        "Once the carrier confirms it, we send a replacement or refund you in full.",
    ),
    entry(
        "close.md",
        "How do I close my account?",
        "Write to support from the e-mail you signed up with; we confirm within two days.",
    ),
    entry(
        "untitled.md",
        "",
        "Our warehouse ships from Rotterdam and Shenzhen.",
    ),
    # Two sections of one page share its title, which therefore tells them apart from nothing.
    entry("page-1.md", "Orders and delivery", "Orders placed before 2 pm ship the same day."),
    entry("page-2.md", "Orders and delivery", "Parcels to islands take two extra days."),
]
PARAPHRASE = "Is it possible to modify where my order gets shipped once I have placed it?"


def title_sources(retriever: HybridRetriever, query: str, **kwargs: object) -> list[str]:
    result = retriever.run(query, KB, top_k=4, **kwargs)  # type: ignore[arg-type]
    catalog = retriever.snapshot(KB).catalog
    docs = [
        catalog.documents[catalog.doc_index[catalog.position[h.chunk_id]]].source
        for h in result.candidates["title"].hits
    ]
    return docs


def test_a_paraphrase_finds_the_entry_by_its_title(fresh_settings: Settings) -> None:
    pipeline = IngestPipeline(fresh_settings)
    pipeline.ingest_documents(ENTRIES, KB)
    retriever = HybridRetriever(fresh_settings)

    snapshot = retriever.snapshot(KB)
    # The untitled document and the two sharing a title have no title vector.
    assert snapshot.titles.complete and len(snapshot.titles.doc_rows) == 3

    assert title_sources(retriever, PARAPHRASE)[0] == "address.md"
    best = retriever.run(PARAPHRASE, KB, top_k=2).passages[0]
    assert best.source == "address.md" and 0 < best.scores.title <= 1
    assert "title" in retriever.run(PARAPHRASE, KB).timings_ms

    # Filters hold for titles as for the other retrievers.
    lost = "What if the parcel I ordered went missing?"
    assert title_sources(retriever, lost)[:1] == ["lost.md"]
    assert "lost.md" not in title_sources(
        retriever, lost, filters=RetrievalFilters(sources=("address.md", "close.md"))
    )
    assert "address.md" not in title_sources(
        retriever, PARAPHRASE, filters=RetrievalFilters(sources=("lost.md",))
    )

    # A deleted document's title is gone with it.
    assert pipeline.remove_document(KB, "address.md")
    assert "address.md" not in title_sources(retriever, PARAPHRASE)
    assert len(retriever.snapshot(KB).titles.doc_rows) == 2


def test_titles_embedded_after_the_snapshot_was_read_are_picked_up(
    fresh_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipeline = IngestPipeline(fresh_settings)
    pipeline.ingest_documents(ENTRIES, KB, embed=False)  # staged: searchable lexically, no vectors
    retriever = HybridRetriever(fresh_settings)
    assert not retriever.snapshot(KB).titles.complete
    assert retriever.run(PARAPHRASE, KB).candidates["title"].hits == []

    pipeline.embed_pending(KB)  # chunk vectors, then title vectors; the KB version is unchanged
    monkeypatch.setattr(titles, "RECHECK_S", 0.0)
    assert retriever.snapshot(KB).titles.complete
    assert title_sources(retriever, PARAPHRASE)[0] == "address.md"
