"""The title step: titles get vectors at ingest, a paraphrase of an FAQ entry's question finds it
by its title, filters and deletes apply, and titles embedded after a snapshot was read show up."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.retrieval import HybridRetriever, RetrievalFilters, titles
from assistant.retrieval.catalog import ChunkCatalog, DocumentInfo
from assistant.retrieval.titles import TitleRetriever, TitleVectors
from ingest.text import detect_language
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


def _titles_at(cosines: dict[str, float]) -> tuple[np.ndarray, ChunkCatalog, TitleVectors]:
    """A query vector and one document per title whose title vector has the given cosine with it."""
    dim = len(cosines) + 1
    query = np.zeros(dim, dtype=np.float32)
    query[0] = 1.0
    rows = []
    for axis, cosine in enumerate(cosines.values(), 1):
        vector = np.zeros(dim, dtype=np.float32)
        vector[0], vector[axis] = cosine, np.sqrt(1 - cosine**2)
        rows.append(vector)
    documents = [
        DocumentInfo(f"d{i}", f"{i}.md", frozenset(), None, title) for i, title in enumerate(cosines)
    ]
    n = len(documents)
    catalog = ChunkCatalog([f"c{i}" for i in range(n)], list(range(n)), ["text"] * n, ["zh"] * n, documents)
    langs = np.asarray([detect_language(title) for title in cosines], dtype=object)
    vectors = TitleVectors(np.stack(rows), np.arange(n), langs, complete=True, read_at=0.0)
    return query, catalog, vectors


CHINESE_TITLES = {
    "静音车厢": 0.93,
    "无障碍服务": 0.88,
    "车站服务": 0.875,
    "票价": 0.87,
    "列车服务": 0.868,
    "儿童及优惠票": 0.866,
    "宠物及自行车": 0.862,
}
ENGLISH_TITLES = {"Quiet coach": 0.90, **{f"Page {i}": 0.76 + i / 1000 for i in range(6)}}


def test_in_two_languages_a_title_is_weighed_by_its_lead_over_its_languages_other_titles() -> None:
    # A long Chinese question sits at .86-.88 with every Chinese title, related or not: above
    # TITLE_FLOOR, all of them would be weighed as matches and outweigh what BM25 and dense found.
    # The Chinese background (median of the 2nd-20th: .869) is .019 above the floor.
    query, catalog, vectors = _titles_at({**CHINESE_TITLES, **ENGLISH_TITLES})
    found = TitleRetriever().run(query, catalog, vectors, top_n=20, mask=None, found=set())
    assert [h.chunk_id for h in found.matched.hits] == ["c0", "c7", "c1", "c2", "c3", "c4", "c5", "c6"]
    leading = {h.chunk_id: h.score for h in found.leading.hits}
    assert list(leading) == ["c0", "c7", "c1", "c2", "c3"]  # .868 and below lead by nothing
    assert leading["c0"] == pytest.approx(0.93 - 0.019, abs=1e-6)
    assert leading["c7"] == pytest.approx(0.90, abs=1e-6)  # English titles sit far lower: as they are
    # What a passage reports (and the answerability judge reads) is the title's own cosine.
    assert found.matched.hits[0].score == pytest.approx(0.93, abs=1e-6)


def test_in_one_language_titles_are_weighed_as_they_are() -> None:
    query, catalog, vectors = _titles_at(CHINESE_TITLES)
    found = TitleRetriever().run(query, catalog, vectors, top_n=20, mask=None, found=set())
    assert found.leading.hits == found.matched.hits
    assert len(found.leading.hits) == len(CHINESE_TITLES)
