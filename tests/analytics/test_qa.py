"""QA scores of the hand-computed fixture: which signals fired, their weights, the total."""

from __future__ import annotations

import pytest
from conversation_fixture import NOW, SINCE, UNTIL, build

from assistant.analytics.facts import Scope
from assistant.analytics.qa import QaScorer, QaService
from assistant.analytics.settings import AnalyticsSettings
from ingest.config import Settings
from ingest.db import Database
from ingest.embedding import Embedder

EXPECTED = {
    # conversation: (score, {signal: count}); weights: refusal -15, low_confidence -10, guard_hit -10,
    # grounding_failure -10, rephrasing -10, slow_answer -5, escalation -15, thumbs_down -25, thumbs_up +10
    "C1": (100.0, {"thumbs_up": 1}),  # 110 clamped
    "C2": (65.0, {"rephrasing": 1, "thumbs_down": 1}),
    "C3": (80.0, {"refusal": 1, "escalation": 1, "thumbs_up": 1}),
    "C4": (60.0, {"low_confidence": 1, "grounding_failure": 1, "slow_answer": 1, "escalation": 1}),
    "C5": (100.0, {}),
    "C6": (90.0, {"guard_hit": 1}),
    "C7": (100.0, {"thumbs_up": 1}),
}


def test_qa_scores_and_their_explanations(store_settings: Settings, db: Database, embedder: Embedder) -> None:
    fixture = build(store_settings, db, embedder)
    service = QaService(db, QaScorer(AnalyticsSettings(qa_slow_ms=300)))
    scores = service.run(Scope(SINCE, UNTIL, tenant="default"))
    names = {cid: name for name, cid in fixture.ids.items()}
    got = {names[s.conversation_id]: (s.score, {sig.code: sig.count for sig in s.signals}) for s in scores}
    assert got == EXPECTED  # C8 has no customer message: no score
    assert [names[s.conversation_id] for s in scores][:3] == ["C4", "C2", "C3"]  # worst first
    c2 = next(s for s in scores if names[s.conversation_id] == "C2")
    thumbs = next(sig for sig in c2.signals if sig.code == "thumbs_down")
    assert (thumbs.weight, thumbs.points, thumbs.message_ids) == (-25, -25, [fixture.messages["C2.a2"]])
    assert c2.explain() == "65: rephrasing x1 (-10), thumbs_down x1 (-25)"
    # Default slow threshold (10 s): C4 loses only its other signals; a weight can be overridden.
    assert QaService(db).one(fixture.ids["C4"]).score == 65.0
    heavy = QaService(db, QaScorer(AnalyticsSettings(qa_weights={"escalation": -50}))).one(fixture.ids["C3"])
    assert heavy.score == 45.0
    assert QaService(db).one("nosuch") is None
    with pytest.raises(ValueError, match="unknown QA signals"):
        QaScorer(AnalyticsSettings(qa_weights={"typo": 1}))
