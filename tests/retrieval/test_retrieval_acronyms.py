"""Acronyms no page uses are searched as a document title spells them out: "When did the current SLA
take effect?" finds the "Uptime service level agreement" pages, which never write "SLA"."""

from __future__ import annotations

from assistant.retrieval import HybridRetriever
from assistant.retrieval.acronyms import acronyms, spelled_out, with_acronyms_spelled_out
from ingest.config import Settings
from ingest.pipeline import IngestPipeline
from ingest.types import Section
from tests.retrieval.conftest import document

TITLES = ["Single sign-on", "Uptime service level agreement (2024 edition)", "Using Klarna"]


def known_none(term: str) -> bool:
    return False


def test_acronyms_and_their_spelling() -> None:
    assert acronyms("Which IdPs work with SSO? Is the SLA met?") == {"sso", "sla"}
    assert spelled_out("sla", TITLES[1]) == "service level agreement"
    assert spelled_out("sso", TITLES[0]) == "Single sign on"
    assert spelled_out("gdpr", TITLES[1]) is None
    # Words a sentence joins with spell nothing: "USA" is not "use soap and water".
    assert spelled_out("usa", "Should I use soap and water or a sanitiser?") is None


def test_an_acronym_no_page_uses_is_spelled_out_in_place() -> None:
    assert (
        with_acronyms_spelled_out("When did the current SLA take effect?", TITLES, known_none)
        == "When did the current SLA (service level agreement) take effect?"
    )
    # A condensed follow-up's context stays at the end, where split_condensed reads it.
    condensed = "And the credit? (previous: What uptime does the SLA promise)"
    assert with_acronyms_spelled_out(condensed, TITLES, known_none) == (
        "And the credit? (previous: What uptime does the SLA (service level agreement) promise)"
    )


def test_a_known_short_or_unspelled_acronym_is_left_alone() -> None:
    question = "Does the SLA cover the UK?"
    # The knowledge base writes "SLA" itself: it is searched as written.
    assert with_acronyms_spelled_out(question, TITLES, lambda term: term == "sla") == question
    # "UK" is two letters: "Using Klarna" spells it by chance.
    assert "Klarna" not in with_acronyms_spelled_out(question, TITLES, known_none)
    assert with_acronyms_spelled_out("Is GDPR data kept?", TITLES, known_none) == "Is GDPR data kept?"
    # Already spelled out by the customer: nothing is added.
    spelled = "Is the SLA (service level agreement) met?"
    assert with_acronyms_spelled_out(spelled, TITLES, known_none) == spelled


def test_retrieval_finds_the_page_a_title_spells_the_acronym_of(tmp_path: object) -> None:
    settings = Settings(data_dir=f"{tmp_path}/kefu-data", embed_batch_size=8)

    documents = [
        document("sla.md", "Uptime service level agreement", [Section("Effective from 1 March 2024.")]),
        document("sso.md", "Single sign-on", [Section("Sign in with Okta on the Business plan.")]),
        document("seats.md", "Managing seats", [Section("Admins add or remove seats under Settings.")]),
        document("export.md", "Data export", [Section("A full export is ready within 24 hours.")]),
    ]
    assert not IngestPipeline(settings).ingest_documents(documents, "acronyms").failed
    result = HybridRetriever(settings).run("What does the SLA promise?", "acronyms", top_k=2)
    assert result.query == "What does the SLA (service level agreement) promise?"
    assert result.passages[0].title == "Uptime service level agreement"
    # Keyword search has no "SLA" to match: it finds the page by the spelled-out words alone.
    lexical = result.candidates["bm25"].hits
    assert lexical and lexical[0].chunk_id == result.passages[0].chunk_id
