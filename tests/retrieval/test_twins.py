"""Twins (assistant/retrieval/twins.py): a page's translation ranked below the page itself, in the
customer's language, leaves the passages: it holds nothing more, and the judge would read its words
in translation ("Taiwan dollars" in 新台币元 for a currency-conversion question)."""

from __future__ import annotations

from assistant.retrieval import HybridRetriever
from assistant.retrieval.twins import says_what, without_twins
from assistant.types import Passage
from ingest.config import Settings
from ingest.pipeline import IngestPipeline
from ingest.types import ParsedDocument, Section

BAGGAGE_EN = "Flights within Taiwan: an extra 5 kg costs NT$300 online and NT$500 at the airport."
BAGGAGE_ZH = "台湾境内航线：网上预购每5公斤300新台币元，机场购买每5公斤500新台币元。"
PETS_ZH = "宠物托运每程3,500新台币元，小型犬猫可随身带入客舱，连笼不超过8公斤。"


def passage(chunk: str, text: str, lang: str) -> Passage:
    return Passage(chunk_id=chunk, doc_id=chunk, title=chunk, text=text, n=1, lang=lang)


def test_a_translation_below_its_page_is_dropped_and_nothing_else() -> None:
    en, zh, pets = (
        passage("en", BAGGAGE_EN, "en"),
        passage("zh", BAGGAGE_ZH, "zh"),
        passage("pets", PETS_ZH, "zh"),
    )
    assert says_what(BAGGAGE_ZH, BAGGAGE_EN) and not says_what(PETS_ZH, BAGGAGE_EN)
    assert [p.chunk_id for p in without_twins([en, zh, pets], "en")] == ["en", "pets"]
    # Above its page it stays (retrieval found it first), and so does everything for a Chinese question.
    assert [p.chunk_id for p in without_twins([zh, en, pets], "en")] == ["zh", "en", "pets"]
    assert [p.chunk_id for p in without_twins([en, zh, pets], "zh")] == ["en", "zh", "pets"]


def test_the_retriever_returns_the_page_without_its_translation(fresh_settings: Settings) -> None:
    documents = [
        ParsedDocument(source=source, title=title, file_type="md", sections=[Section(text)], lang=lang)
        for source, title, text, lang in (
            ("en/baggage.md", "Excess baggage", BAGGAGE_EN, "en"),
            ("zh/baggage.md", "逾重行李", BAGGAGE_ZH, "zh"),
            ("zh/pets.md", "宠物", PETS_ZH, "zh"),
        )
    ]
    report = IngestPipeline(fresh_settings).ingest_documents(documents, "air")
    assert not report.failed and report.pending == 0
    result = HybridRetriever(fresh_settings).run("How much is an extra 5 kg on flights within Taiwan?", "air")
    sources = [p.source for p in result.passages]
    assert sources[0] == "en/baggage.md" and "zh/baggage.md" not in sources and "zh/pets.md" in sources
