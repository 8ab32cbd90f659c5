"""Release arms: which configuration answers a turn.

A knowledge base is served its **published** configuration: its published version plus the
setting overrides of the last promoted release (none until one is promoted). A running release
adds a **candidate** (another version, e.g. a draft, and/or other settings) served to a share of
new sessions; one release runs per knowledge base at a time.

Assignment is sticky: a new session's arm is decided by a hash of the customer's user id (its
session id when anonymous) against the share, so one customer gets one arm in every session, and
raising the share only moves customers onto the candidate. The decision is stored per session
(release_assignments) and kept for the session's life, whatever the share becomes. A session that
had turns before the release started stays on the published arm. Abort and promote end the
release: from the next turn every session is served the (then) published configuration.

Every turn records the arm's label and the knowledge-base version that answered it
(messages.arm, messages.kb_version), which `status` and analytics group by.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from assistant.analytics.facts import Scope
from assistant.analytics.metrics import MetricSet, MetricsService
from assistant.escalation.tickets import aware
from ingest.errors import Conflict, InvalidInput, NotFound
from ingest.db import Base, Database
from ingest.models import KBVersion, KnowledgeBase, utcnow
from ingest.registry import KnowledgeBaseNotFound
from ingest.versions import VersionRef, publish

ArmName = Literal["published", "candidate"]
PUBLISHED: ArmName = "published"
CANDIDATE: ArmName = "candidate"

# What a candidate may change besides the knowledge-base version: answer-shaping settings
# (ingest.config.Settings) and the answerability threshold (P(answerable) needed to answer).
OVERRIDES: dict[str, type] = {
    "llm_model": str,
    "llm_temperature": float,
    "llm_max_tokens": int,
    "llm_min_grounded_rate": float,
    "answerable_threshold": float,
}


class Release(Base):
    __tablename__ = "releases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # By id: a knowledge base made under a trashed one's name is not in its releases.
    kb_id: Mapped[int] = mapped_column(ForeignKey("knowledge_bases.id", ondelete="CASCADE"), index=True)
    kb_name: Mapped[str] = mapped_column(String(128))  # its name (kept current by the store)
    tenant: Mapped[str] = mapped_column(String(128), default="default")
    state: Mapped[str] = mapped_column(String(16), default="running")  # running | aborted | promoted
    share: Mapped[float] = mapped_column(Float)  # of new sessions served the candidate, 0..1
    suite: Mapped[str | None] = mapped_column(String(1024), nullable=True)  # eval set promote must pass
    # The published arm when the release started (for the record; it keeps following publishes).
    published_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    published_config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    candidate_version: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None: the published
    candidate_config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the whole override set
    started_by: Mapped[str | None] = mapped_column(String(256), nullable=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    gate: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # promote's gate result


class ReleaseAssignment(Base):
    __tablename__ = "release_assignments"

    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    arm: Mapped[str] = mapped_column(String(16))
    assigned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ReleaseError(InvalidInput, ValueError):
    """A release asked for with bad values (share, overrides, a version that cannot be served)."""


class ReleaseConflict(Conflict, RuntimeError):
    """The release state forbids it: one is running already, or none is."""


@dataclass(frozen=True)
class Arm:
    """The configuration one turn is answered with."""

    name: ArmName
    version: VersionRef  # "published", or the candidate's version number
    overrides: tuple[tuple[str, Any], ...] = ()  # sorted (name, value) pairs, see OVERRIDES
    release_id: int | None = None

    @property
    def settings(self) -> dict[str, Any]:
        return {k: v for k, v in self.overrides if k != "answerable_threshold"}

    @property
    def answerable_threshold(self) -> float | None:
        return dict(self.overrides).get("answerable_threshold")


def _frozen(overrides: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted(overrides.items()))


def check_overrides(overrides: dict[str, Any]) -> dict[str, Any]:
    """The overrides with their values typed; a ReleaseError names an unknown or mistyped one."""
    checked: dict[str, Any] = {}
    for name, value in overrides.items():
        kind = OVERRIDES.get(name)
        if kind is None:
            raise ReleaseError(f"unknown setting {name!r}; a release may set {', '.join(OVERRIDES)}")
        try:
            checked[name] = kind(value)
            if kind is not str and not math.isfinite(checked[name]):
                raise ValueError
        except (TypeError, ValueError, OverflowError):
            raise ReleaseError(f"{name} takes a finite {kind.__name__}, got {value!r}") from None
        if kind is str and not checked[name].strip():
            raise ReleaseError(f"{name} may not be empty")
    threshold = checked.get("answerable_threshold")
    if threshold is not None and not 0.0 <= threshold <= 1.0:
        raise ReleaseError(f"answerable_threshold is a probability in [0, 1], got {threshold}")
    return checked


def bucket(release_id: int, key: str) -> float:
    """A customer's fixed place in [0, 1) for one release: a hash, so every worker agrees."""
    digest = hashlib.sha256(f"{release_id}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def pick_arm(release_id: int, share: float, key: str) -> ArmName:
    return CANDIDATE if bucket(release_id, key) < share else PUBLISHED


def _of_kb(kb_name: str) -> Any:
    """The releases of the knowledge base now called kb_name (a select of Release)."""
    return (
        select(Release)
        .join(KnowledgeBase, KnowledgeBase.id == Release.kb_id)
        .where(KnowledgeBase.name == kb_name)
    )


def published_overrides(session: Session, kb_name: str) -> dict[str, Any]:
    """The setting overrides customers of this knowledge base are served: the last promoted
    release's candidate configuration (none before the first promote)."""
    promoted = (
        _of_kb(kb_name)
        .where(Release.state == "promoted")
        .order_by(Release.ended_at.desc(), Release.id.desc())
    )
    release = session.scalar(promoted.limit(1))
    return dict(release.candidate_config or {}) if release is not None else {}


def running_release(session: Session, kb_name: str) -> Release | None:
    release = session.scalar(_of_kb(kb_name).where(Release.state == "running"))
    if release is not None and release.kb_name != kb_name:  # restored under another name
        release.kb_name = kb_name
    return release


class ReleaseStore:
    """Releases of knowledge bases in one database: start, share, abort, promote; and which arm
    answers a turn."""

    def __init__(self, database: Database) -> None:
        self.db = database

    # -- lifecycle ----------------------------------------------------------------------------

    def start(
        self,
        kb_name: str,
        *,
        share: float,
        candidate_version: int | None = None,
        candidate_config: dict[str, Any] | None = None,
        suite: str | None = None,
        started_by: str | None = None,
    ) -> Release:
        """Start serving a candidate to `share` of new sessions. The candidate's settings are the
        published ones with `candidate_config` on top."""
        check_share(share)
        overrides = check_overrides(candidate_config or {})
        if candidate_version is None and not overrides:
            raise ReleaseError("a candidate needs a knowledge-base version or settings that differ")
        try:
            return self._start(kb_name, share, candidate_version, overrides, suite, started_by)
        except IntegrityError:  # another worker started one meanwhile (uq_releases_running)
            raise ReleaseConflict(f"a release of {kb_name!r} is running") from None

    def _start(
        self,
        kb_name: str,
        share: float,
        candidate_version: int | None,
        overrides: dict[str, Any],
        suite: str | None,
        started_by: str | None,
    ) -> Release:
        with self.db.session() as session:
            kb = _kb(session, kb_name)
            if candidate_version is not None:
                row = session.scalar(
                    select(KBVersion).where(KBVersion.kb_id == kb.id, KBVersion.version == candidate_version)
                )
                if row is None or not row.servable:
                    raise ReleaseError(
                        f"knowledge base {kb_name!r} has no servable version {candidate_version}"
                    )
            if running_release(session, kb_name) is not None:
                raise ReleaseConflict(
                    f"a release of {kb_name!r} is running; promote or abort it before starting another"
                )
            published = published_overrides(session, kb_name)
            release = Release(
                kb_id=kb.id,
                kb_name=kb_name,
                tenant=kb.tenant,
                share=share,
                suite=suite,
                published_version=kb.published_version,
                published_config=published,
                candidate_version=candidate_version,
                candidate_config={**published, **overrides},
                started_by=started_by,
                started_at=utcnow(),
                state="running",
                gate={},
            )
            session.add(release)
            session.flush()
            return release

    def set_share(self, kb_name: str, share: float) -> Release:
        """New sessions from now on; assigned sessions keep their arm."""
        check_share(share)
        with self.db.session() as session:
            release = _running(session, kb_name)
            release.share = share
            return release

    def abort(self, kb_name: str) -> Release:
        """Every session is served the published configuration from its next turn on."""
        with self.db.session() as session:
            release = _running(session, kb_name)
            release.state, release.ended_at = "aborted", utcnow()
            return release

    def promote(self, kb_name: str, release_id: int, gate: dict[str, Any]) -> Release:
        """Make the candidate the published configuration: publish its version and keep its
        settings (in one transaction). The caller has run the release's eval gate (`gate`)."""
        with self.db.session() as session:
            release = _running(session, kb_name)
            if release.id != release_id:
                raise ReleaseConflict(
                    f"release {release_id} of {kb_name!r} is no longer running (release {release.id} is)"
                )
            if release.candidate_version is not None:
                publish(session, _kb(session, kb_name), release.candidate_version)
            release.state, release.ended_at, release.gate = "promoted", utcnow(), gate
            return release

    def running(self, kb_name: str) -> Release | None:
        with self.db.session() as session:
            return running_release(session, kb_name)

    def get(self, release_id: int) -> Release:
        with self.db.session() as session:
            release = session.get(Release, release_id)
            if release is None:
                raise ReleaseNotFound(f"no release {release_id}")
            return release

    def latest(self, kb_name: str) -> Release:
        """The running release of the knowledge base, else its most recent one."""
        with self.db.session() as session:
            release = session.scalar(
                _of_kb(kb_name).order_by((Release.state == "running").desc(), Release.id.desc()).limit(1)
            )
            if release is None:
                raise ReleaseNotFound(f"knowledge base {kb_name!r} has had no release")
            release.kb_name = kb_name
            return release

    def arms(self, release: Release) -> dict[ArmName, Arm]:
        """The release's two arms as they answer now (the published one follows publishes)."""
        with self.db.session() as session:
            published = _frozen(published_overrides(session, release.kb_name))
        candidate_version: VersionRef = release.candidate_version or "published"
        return {
            PUBLISHED: Arm(PUBLISHED, "published", published, release.id),
            CANDIDATE: Arm(CANDIDATE, candidate_version, _frozen(release.candidate_config or {}), release.id),
        }

    # -- which arm answers a turn -------------------------------------------------------------

    def published_arm(self, kb_name: str) -> Arm:
        with self.db.session() as session:
            return Arm(PUBLISHED, "published", _frozen(published_overrides(session, kb_name)))

    def arm_for(self, kb_name: str, conversation_id: str, user_id: str | None, *, new: bool) -> Arm:
        """The arm that answers this turn of the conversation; `new`: it has no turns yet (a
        session with turns before the release started stays on the published arm)."""
        with self.db.session() as session:
            published = Arm(PUBLISHED, "published", _frozen(published_overrides(session, kb_name)))
            release = running_release(session, kb_name)
            if release is None:
                return published
            arm = session.scalar(
                select(ReleaseAssignment.arm).where(
                    ReleaseAssignment.release_id == release.id,
                    ReleaseAssignment.conversation_id == conversation_id,
                )
            )
            candidate_version: VersionRef = release.candidate_version or "published"
            candidate = Arm(CANDIDATE, candidate_version, _frozen(release.candidate_config or {}), release.id)
            if arm is None:
                arm = pick_arm(release.id, release.share, user_id or conversation_id) if new else PUBLISHED
                session.add(
                    ReleaseAssignment(release_id=release.id, conversation_id=conversation_id, arm=arm)
                )
                try:
                    session.flush()
                except IntegrityError:  # another worker assigned it first: its decision stands
                    session.rollback()
                    return self.arm_for(kb_name, conversation_id, user_id, new=new)
            if arm == CANDIDATE:
                return candidate
            return Arm(PUBLISHED, "published", published.overrides, release.id)

    def assignments(self, release_id: int) -> dict[str, int]:
        """Sessions assigned to each arm."""
        from sqlalchemy import func

        with self.db.session() as session:
            rows = session.execute(
                select(ReleaseAssignment.arm, func.count())
                .where(ReleaseAssignment.release_id == release_id)
                .group_by(ReleaseAssignment.arm)
            ).all()
        return {PUBLISHED: 0, CANDIDATE: 0, **{arm: int(n) for arm, n in rows}}


class ReleaseNotFound(NotFound, LookupError):
    pass


def arm_metrics(database: Database, release: Release) -> dict[ArmName, MetricSet]:
    """The arms side by side, from the stored turns of the sessions the release's window started
    (assistant.analytics.metrics: answers, refusals, transfers, thumbs, latency); a session counts
    for the arm of its first answer."""
    since = aware(release.started_at)
    until = aware(release.ended_at) or utcnow() + timedelta(microseconds=1)
    assert since is not None and until is not None
    scope = Scope(since, until, tenant=release.tenant, kbs=(release.kb_name,))
    report = MetricsService(database).run(scope, dimensions=("arm",))
    found = {row.key: row.metrics for row in report.by["arm"]}
    return {PUBLISHED: found.get(PUBLISHED, MetricSet()), CANDIDATE: found.get(CANDIDATE, MetricSet())}


def check_share(share: float) -> None:
    if not 0.0 <= share <= 1.0:
        raise ReleaseError(f"share is a fraction of new sessions in [0, 1], got {share}")


def _kb(session: Session, kb_name: str) -> KnowledgeBase:
    kb = session.scalar(select(KnowledgeBase).where(KnowledgeBase.name == kb_name))
    if kb is None:
        raise KnowledgeBaseNotFound(kb_name)
    return kb


def _running(session: Session, kb_name: str) -> Release:
    release = running_release(session, kb_name)
    if release is None:
        raise ReleaseConflict(f"no release of {kb_name!r} is running")
    return release
