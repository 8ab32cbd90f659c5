"""QA scores of the hand-computed fixture: which signals fired, their weights, the total."""

from __future__ import annotations

import pytest
from conversation_fixture import SINCE, UNTIL, build

from assistant.analytics.facts import Scope, load_conversations
from assistant.analytics.qa import QaScorer, QaService
from ingest.config import AnalyticsSettings, Settings
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


def test_llm_judged_variant(store_settings: Settings, db: Database, embedder: Embedder, scripted_llm) -> None:  # type: ignore[no-untyped-def]
    """A scripted judge (the test must force exact replies): its rating becomes a 0-100 score; a
    failing or out-of-shape judge leaves the conversation unjudged with the error."""
    from assistant.analytics.qa_judge import QaJudge, transcript

    fixture = build(store_settings, db, embedder)
    judge = QaJudge(store_settings, "kefu-test/judge")
    scripted_llm.replies["judge"] = (
        'Sure. {"rating": 2, "reason": "The bot refused and a person had to step in."}'
    )
    judged = QaService(db, judge=judge).one(fixture.ids["C3"])
    assert judged.score == 80.0  # the deterministic score stands beside the judged one
    assert (judged.judged.rating, judged.judged.score, judged.judged.model) == (2, 25.0, "kefu-test/judge")
    assert judged.judged.reason == "The bot refused and a person had to step in."
    conversation_text = transcript(load_conversations(db, None, extra_ids=[fixture.ids["C3"]])[0])
    assert (
        conversation_text.splitlines()[0] == "user: 你们几点开门？"
        and "agent: 我们早上九点开门。" in conversation_text
    )

    scripted_llm.replies["judge"] = "I would say it went fine."
    vague = QaService(db, judge=judge).one(fixture.ids["C1"]).judged
    assert vague.rating is None and vague.score is None and "no 1-5 rating" in vague.error
    scripted_llm.replies["judge"] = RuntimeError("judge is down")
    down = QaService(db, judge=judge).run(Scope(SINCE, UNTIL, tenant="default"), limit=2)
    assert len(down) == 2 and all(s.judged.rating is None and "judge is down" in s.judged.error for s in down)
