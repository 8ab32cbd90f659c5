"""Several editions of one page: the question's year (or date) picks its edition, else the newest
goes first. Unit tests of the step, and a knowledge base ingested from files whose editions are
detected at ingest (ingest.parsing.edition)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from assistant.retrieval import HybridRetriever
from assistant.retrieval.catalog import ChunkCatalog, DocumentInfo
from assistant.retrieval.fusion import fuse
from assistant.retrieval.editions import AskedDate, EditionPreference, asked_dates, chosen_edition
from assistant.retrieval.types import RankedList, ScoredChunk
from ingest.config import Settings
from ingest.models import Document
from ingest.pipeline import IngestPipeline
from ingest.types import Edition


def edition(year: int, iso: str | None = None, series: str = "returns policy") -> Edition:
    return Edition(year, iso, series, "text")


def test_asked_dates_are_years_and_dates_not_amounts() -> None:
    assert asked_dates("What was the return window under the 2022 returns policy?") == [AskedDate(2022)]
    assert asked_dates("2023年版取消合约政策的通知期是多少天？") == [AskedDate(2023)]
    assert asked_dates("Which fee applied on 1 May 2023?") == [AskedDate(2023, "2023-05-01")]
    assert asked_dates("Is the fee HK$2024 or 20.24%?") == []
    assert asked_dates("How many days do I have to return an item?") == []


def test_chosen_edition() -> None:
    editions = [edition(2022, "2022-03-01"), edition(2023, "2023-04-01"), edition(2024, "2024-01-01")]
    assert chosen_edition(editions, []).year == 2024
    assert chosen_edition(editions, [AskedDate(2022)]).year == 2022
    assert (
        chosen_edition(editions, [AskedDate(2023)]).year == 2023
    )  # took effect in April: still "the 2023 one"
    assert chosen_edition(editions, [AskedDate(2023, "2023-03-15")]).year == 2022  # in effect that day
    assert chosen_edition(editions, [AskedDate(2030)]).year == 2024
    assert chosen_edition(editions, [AskedDate(2015)]).year == 2024  # before every edition: the newest


def test_the_step_reorders_only_within_a_page_and_keeps_scores_in_order() -> None:
    documents = [
        DocumentInfo(
            "d22", "returns-2022.md", frozenset(), None, "Returns policy (2022 edition)", edition(2022)
        ),
        DocumentInfo(
            "d23", "returns-2023.md", frozenset(), None, "Returns policy (2023 edition)", edition(2023)
        ),
        DocumentInfo(
            "d24", "returns-2024.md", frozenset(), None, "Returns policy (2024 edition)", edition(2024)
        ),
        DocumentInfo("ship", "shipping.md", frozenset(), None, "Shipping"),
    ]
    catalog = ChunkCatalog(["c22", "c23", "c24", "cs"], [0, 1, 2, 3], ["text"] * 4, ["en"] * 4, documents)
    fused = RankedList(
        "fused",
        [ScoredChunk("c22", 0.9), ScoredChunk("cs", 0.8), ScoredChunk("c23", 0.7), ScoredChunk("c24", 0.6)],
    )
    step = EditionPreference()
    newest = step.run(fused, catalog, "How long do I have to return an item?")
    assert [h.chunk_id for h in newest.hits] == ["c24", "cs", "c22", "c23"]
    assert [h.score for h in newest.hits] == [0.9, 0.8, 0.7, 0.6]
    asked = step.run(fused, catalog, "What was the return window in 2023?")
    assert [h.chunk_id for h in asked.hits] == ["c23", "cs", "c22", "c24"]
    # A page with one edition among the candidates, or none, is left as it was.
    single = RankedList("fused", [ScoredChunk("c22", 0.9), ScoredChunk("cs", 0.8)])
    assert step.run(single, catalog, "returns").hits == single.hits


EDITIONS = {
    # The older editions repeat the question's words; the newest does not: without the step,
    # fusion ranks an older edition first.
    "returns-policy-2022.md": "---\ntitle: Returns policy (2022 edition)\ndate: 2022-02-01\n---\n"
    "# Return window\nYou have 14 days to return an item you bought from Lumo.\n",
    "returns-policy-2023.md": "# Returns policy (2023 edition)\nEffective from 1 March 2023.\n\n"
    "## Return window\nItems can be returned within 21 days of delivery.\n",
    "returns-policy-2024.md": "# Returns policy (2024 edition)\nEffective from 15 January 2024.\n\n"
    "## Return window\nPurchases may be sent back within 30 days after they arrive.\n",
    "shipping.md": "# Shipping\nStandard shipping takes 3 to 5 business days.\n",
}


@pytest.fixture
def editions_kb(fresh_settings: Settings, tmp_path: Path) -> Settings:
    folder = tmp_path / "site"
    folder.mkdir()
    for name, text in EDITIONS.items():
        (folder / name).write_text(text, encoding="utf-8")
    report = IngestPipeline(fresh_settings).ingest_paths([folder], "editions")
    assert not report.failed and report.pending == 0
    return fresh_settings


def first_source(retriever: HybridRetriever, question: str) -> str:
    return retriever.run(question, "editions", top_k=3).passages[0].source.rsplit("/", 1)[-1]


def test_three_editions_newest_first_unless_a_year_is_asked(editions_kb: Settings) -> None:
    retriever = HybridRetriever(editions_kb)
    with retriever.db.session() as session:
        stored = {Path(d.source).name: Edition.from_extra(d.extra) for d in session.scalars(select(Document))}
    assert {name: e.year if e else None for name, e in stored.items()} == {
        "returns-policy-2022.md": 2022,
        "returns-policy-2023.md": 2023,
        "returns-policy-2024.md": 2024,
        "shipping.md": None,
    }
    assert len({e.series for e in stored.values() if e}) == 1

    question = "How many days do I have to return an item?"
    result = retriever.run(question, "editions", top_k=3)
    settings = retriever.retrieval
    plain = fuse(
        [result.candidates[n] for n in ("bm25", "dense", "title")],
        settings.fusion_method,
        settings.weights,
        settings.rrf_k,
    )
    catalog = retriever.snapshot("editions").catalog
    best = catalog.documents[int(catalog.doc_index[catalog.position[plain.hits[0].chunk_id]])]
    assert Path(best.source).name != "returns-policy-2024.md"  # fusion alone puts an older edition first
    assert first_source(retriever, question) == "returns-policy-2024.md"
    assert (
        first_source(retriever, "How many days did I have to return an item in 2022?")
        == "returns-policy-2022.md"
    )
    assert (
        first_source(retriever, "Under the 2023 edition, how many days did I have to return an item?")
        == "returns-policy-2023.md"
    )
    assert first_source(retriever, "2023年版的退货期限是多少天？") == "returns-policy-2023.md"
