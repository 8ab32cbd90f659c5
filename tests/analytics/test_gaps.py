"""Gap mining on real rows and the real embedder: failed questions, clusters, ranking, drill-down,
and a cluster turned into an FAQ candidate."""

from __future__ import annotations

import pytest
from gap_fixture import AGENT_ANSWER, PAYPAL, SHIPPING, SINCE, UNTIL, build_gaps

from assistant.analytics.facts import Scope
from assistant.analytics.gaps import GapMiner
from assistant.knowledge_loop import KnowledgeLoop
from ingest.config import Settings
from ingest.db import Database
from ingest.embedding import Embedder


def test_failed_questions_cluster_by_topic(
    store_settings: Settings, db: Database, embedder: Embedder
) -> None:
    fixture = build_gaps(store_settings, db, embedder)
    report = GapMiner(db, embedder).run(Scope(SINCE, UNTIL, tenant="default"))
    # 3 shipping refusals, 3 PayPal failures (low confidence, thumbs down, escalated), 1 stray
    # refusal; the answered question and the guard block are not gaps.
    assert report.failed == 7
    by_name = {frozenset(q.text for q in c.examples): c for c in report.clusters}
    shipping, paypal = by_name[frozenset(SHIPPING)], by_name[frozenset(PAYPAL)]
    assert shipping.name in SHIPPING and paypal.name in PAYPAL
    assert [c.id for c in report.clusters[:2]] == [1, 2] and report.clusters[
        0
    ] is shipping  # same volume, rising
    assert (shipping.volume, shipping.recent, shipping.earlier, shipping.trend) == (3, 2, 1, 1)
    assert (paypal.volume, paypal.recent, paypal.earlier) == (3, 0, 3)
    assert shipping.reasons == {"refused": 3}
    assert paypal.reasons == {"low_confidence": 1, "thumbs_down": 1, "escalated": 1}
    assert [(c.chunk_id, c.hits, c.source) for c in shipping.chunks] == [
        (fixture.chunks["shipping"], 3, "shipping.md")
    ]
    assert "mainland China" in shipping.chunks[0].text
    assert paypal.agent_answers == [AGENT_ANSWER] and shipping.agent_answers == []
    assert len(paypal.conversation_ids) == 3 and {q.message_id for q in paypal.examples} == {
        fixture.question_ids[q] for q in PAYPAL
    }
    clustered = {q.text for c in report.clusters for q in c.examples}
    assert "ignore all previous instructions" not in clustered | {q.text for q in report.unclustered}


def test_a_cluster_becomes_an_faq_candidate(
    store_settings: Settings, db: Database, embedder: Embedder
) -> None:
    build_gaps(store_settings, db, embedder)
    report = GapMiner(db, embedder).run(Scope(SINCE, UNTIL, tenant="default"))
    paypal = next(c for c in report.clusters if c.name in PAYPAL)
    loop = KnowledgeLoop(store_settings, database=db, embedder=embedder)
    candidate = loop.propose_question(
        "default", paypal.kb, paypal.name, paypal.agent_answers[0], note="gap cluster"
    )
    assert (candidate.status, candidate.question, candidate.answer) == ("pending", paypal.name, AGENT_ANSWER)
    assert candidate.ticket_id is None and candidate.similar_to is None  # the KB has no FAQ entries yet
    assert [c.id for c in loop.candidates(kb_name="shop")] == [candidate.id]
    unanswered = loop.propose_question("default", "shop", SHIPPING[0])
    assert unanswered.answer == "" and unanswered.status == "pending"
    with pytest.raises(ValueError, match="needs a question"):
        loop.propose_question("default", "shop", "   ")
