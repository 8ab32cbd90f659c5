"""Resolved tickets -> FAQ candidates: redaction, de-duplication against the KB's FAQ questions and
pending candidates, accept (a new KB version with the FAQ document) and reject."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from assistant.conversations import ConversationStore
from assistant.escalation.agents import AgentDesk
from ingest.config import EscalationSettings, Settings
from assistant.escalation.hook import Escalator
from assistant.escalation.types import EscalationDecision, RuleHit
from assistant.knowledge_loop import CandidateClosed, CandidateInfo, KnowledgeLoop
from ingest.db import open_database
from ingest.embedding import Embedder
from ingest.models import Chunk, Document, KnowledgeBase
from ingest.pipeline import IngestPipeline
from ingest.types import ParsedDocument, Section

KB = "help"


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory, embedder: Embedder
) -> tuple[Settings, AgentDesk, Escalator]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("loop") / "kefu-data")
    db = open_database(settings.sql_url)
    faq = ParsedDocument(
        source="faq.csv",
        title="FAQ",
        file_type="faq-csv",
        lang="en",
        sections=[
            Section(
                text="Use 'Forgot password' on the sign-in page.",
                kind="faq",
                question="How do I reset my password?",
                similar_questions=["I forgot my password"],
            ),
            Section(
                text="Standard shipping takes 3-5 business days.",
                kind="faq",
                question="How long does shipping take?",
            ),
        ],
    )
    IngestPipeline(settings, database=db, embedder=embedder).ingest_documents([faq], KB)
    config = EscalationSettings(_env_file=None)
    loop = KnowledgeLoop(settings, database=db, config=config, embedder=embedder)
    return (
        settings,
        AgentDesk(settings, database=db, config=config, knowledge_loop=loop),
        Escalator(settings, database=db, config=config, embedder=embedder),
    )


def resolved(
    world: tuple[Settings, AgentDesk, Escalator], question: str, answer: str
) -> CandidateInfo | None:
    _, desk, escalator = world
    store = ConversationStore(desk.db)
    conversation = store.create(KB)
    store.add_message(conversation.id, "user", question)
    store.add_message(conversation.id, "user", "转人工")
    hit = RuleHit("explicit_request", "asked for a human", "转人工")
    ticket = escalator.escalate(conversation.id, EscalationDecision([hit]))
    desk.reply(ticket.id, "lin", answer)
    return desk.resolve(ticket.id, "lin").candidate  # no resolution text: the agent's last reply


def test_candidate_from_resolved_ticket_is_redacted(world: tuple[Settings, AgentDesk, Escalator]) -> None:
    candidate = resolved(
        world,
        "Can I change the email on my account? it is now li.wei@example.com",
        "Yes: Settings > Account > Email, then confirm the link we send.",
    )
    assert candidate is not None and candidate.status == "pending" and candidate.kb_name == KB
    assert candidate.question == "Can I change the email on my account? it is now [EMAIL_1]"
    assert candidate.answer == "Yes: Settings > Account > Email, then confirm the link we send."
    assert candidate.similar_to is not None and candidate.similar_to["kind"] == "faq"  # nearest shown anyway
    assert candidate.similarity is not None and candidate.similarity < 0.95


def test_duplicates_of_faq_and_of_pending_candidates(world: tuple[Settings, AgentDesk, Escalator]) -> None:
    same_as_faq = resolved(world, "I forgot my password", "Click 'Forgot password' when signing in.")
    assert same_as_faq is not None and same_as_faq.status == "duplicate"
    assert same_as_faq.similar_to is not None and same_as_faq.similar_to["question"] == "I forgot my password"
    first = resolved(world, "Do you deliver on Sundays?", "No, we deliver Monday to Saturday.")
    again = resolved(world, "Do you deliver on Sundays?", "Only Monday to Saturday.")
    assert first is not None and first.status == "pending"
    assert again is not None and again.status == "duplicate"
    assert again.similar_to == {
        "kind": "candidate",
        "id": str(first.id),
        "question": "Do you deliver on Sundays?",
        "source": f"faq/candidate-{first.id}",
    }


def test_accept_publishes_a_new_kb_version(world: tuple[Settings, AgentDesk, Escalator]) -> None:
    desk = world[1]
    loop = desk.knowledge_loop
    candidate = resolved(
        world, "Can I pay with Alipay?", "Yes, Alipay and WeChat Pay are accepted at checkout."
    )
    assert candidate is not None and candidate.status == "pending"
    with desk.db.session() as session:
        version_before = session.scalar(select(KnowledgeBase.version).where(KnowledgeBase.name == KB))
    accepted = loop.accept(
        candidate.id,
        "owner",
        answer="Yes: Alipay and WeChat Pay are accepted at checkout.",
        note="checked with finance",
    )
    assert accepted.status == "accepted" and accepted.source == f"faq/candidate-{candidate.id}"
    assert accepted.kb_version == version_before + 1 and accepted.reviewer == "owner"
    with desk.db.session() as session:
        doc = session.scalar(select(Document).where(Document.source == accepted.source))
        chunk = session.scalar(select(Chunk).where(Chunk.doc_id == doc.id))
        assert chunk.kind == "faq" and chunk.match_text == "Can I pay with Alipay?" and chunk.embedded
        assert "WeChat Pay" in chunk.text and doc.extra["candidate_id"] == candidate.id
    with pytest.raises(CandidateClosed):
        loop.accept(candidate.id, "owner")
    # The published question is now an FAQ question: the same question again is a duplicate of it.
    again = resolved(world, "Can I pay with Alipay?", "Yes.")
    assert again is not None and again.status == "duplicate" and again.similar_to["kind"] == "faq"


def test_reject_and_listing(world: tuple[Settings, AgentDesk, Escalator]) -> None:
    loop = world[1].knowledge_loop
    candidate = resolved(world, "Do you sell replacement blades for the X2 blender?", "Yes, part no. B-22.")
    assert candidate is not None
    assert candidate.id in [c.id for c in loop.candidates(kb_name=KB)]
    rejected = loop.reject(candidate.id, "owner", note="product discontinued")
    assert rejected.status == "rejected" and rejected.review_note == "product discontinued"
    assert candidate.id not in [c.id for c in loop.candidates(kb_name=KB)]
    assert candidate.id in [c.id for c in loop.candidates(statuses=["rejected"])]
    with pytest.raises(CandidateClosed):
        loop.reject(candidate.id, "owner")
    with pytest.raises(ValueError, match="unknown candidate statuses"):
        loop.candidates(statuses=["approved"])


def test_no_candidate_without_an_answer(world: tuple[Settings, AgentDesk, Escalator]) -> None:
    _, desk, escalator = world
    store = ConversationStore(desk.db)
    conversation = store.create(KB)
    store.add_message(conversation.id, "user", "Where is my parcel?")
    ticket = escalator.escalate(
        conversation.id, EscalationDecision([RuleHit("explicit_request", "asked", "")])
    )
    assert desk.resolve(ticket.id, "lin").candidate is None  # the agent never answered
