"""Service metrics over a window of conversations, overall and by day, knowledge base, channel,
language and release arm.

Definitions (a "contact" is a conversation with at least one customer message; every metric is
attributed to the conversation's dimensions, see facts.py):

- answered: the bot gave at least one answer from the knowledge base (mode generated or extractive).
- transferred: the conversation was handed to a human (it has an escalation ticket, or one of its
  answers is the handoff notice, mode "escalated"). Transfer-to-human rate = transferred / contacts.
- negative feedback: a thumbs down, or a 1-5 score at or below KEFU_ANALYTICS_NEGATIVE_SCORE_MAX
  (default 2), on any answer of the conversation.
- repeat contact: the same customer (same user id, same tenant) starts another conversation within
  KEFU_ANALYTICS_REPEAT_WINDOW_HOURS (default 72) after this one started, on the same topic: both
  conversations' answers share a best-ranked retrieved passage. Anonymous conversations (no user
  id) cannot be followed and never count as repeated.
- automated resolution: answered, not transferred, no negative feedback, no repeat contact.
  Rate = automated resolutions / contacts.
- first-contact resolution: the contact ended resolved, by the bot (answered and not transferred)
  or by an agent (transferred and every ticket resolved), with no negative feedback and no repeat
  contact. Rate = first-contact resolutions / contacts.
- refusal rate: answers the bot refused (mode "refused": not in the knowledge base, or blocked by
  the input guard) / all answers.
- CSAT: thumbs-up share = thumbs up / (thumbs up + thumbs down); rating mean = mean of the optional
  1-5 scores; CSAT = share of 1-5 scores at or above KEFU_ANALYTICS_SATISFIED_SCORE_MIN (default 4).
- time to first token: per answer, when its first token left (recorded by streamed answers as
  timings_ms.first_token), else its full latency (an answer delivered whole arrives at once).
  Time to full answer: the answer's recorded latency. Both as p50/p95 (linear interpolation).
- agents' handling time: per resolved ticket, resolved_at - claimed_at (created_at if never
  claimed), in seconds, p50/p95.
- SLA breaches: tickets whose first response or resolution came (or, still missing, is) later
  than its due time; rate = breached / tickets.

Rates are None when their denominator is zero.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from assistant.analytics.facts import DIMENSIONS, ConversationFacts, Scope, later_contacts, load_conversations
from ingest.config import AnalyticsSettings, get_settings
from ingest.db import Database
from ingest.models import utcnow

ANSWERED_MODES = ("generated", "extractive")


def percentile(values: Sequence[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 2) if len(values) else None


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@dataclass
class Outcome:
    """The per-conversation judgements the metrics count."""

    contact: bool
    answered: bool
    transferred: bool
    negative: bool
    repeated: bool

    @property
    def automated_resolution(self) -> bool:
        return (
            self.contact
            and self.answered
            and not self.transferred
            and not self.negative
            and not self.repeated
        )


@dataclass
class MetricSet:
    sessions: int = 0  # conversations started in the window, including empty ones
    contacts: int = 0
    automated_resolutions: int = 0
    automated_resolution_rate: float | None = None
    first_contact_resolutions: int = 0
    first_contact_resolution_rate: float | None = None
    transfers: int = 0
    transfer_rate: float | None = None
    repeat_contacts: int = 0
    answers: int = 0
    answers_by_mode: dict[str, int] = field(default_factory=dict)
    refusals: int = 0
    refusal_rate: float | None = None
    thumbs_up: int = 0
    thumbs_down: int = 0
    thumbs_up_rate: float | None = None
    scores: int = 0
    score_mean: float | None = None
    csat: float | None = None
    first_token_ms_p50: float | None = None
    first_token_ms_p95: float | None = None
    answer_ms_p50: float | None = None
    answer_ms_p95: float | None = None
    tickets: int = 0
    tickets_resolved: int = 0
    handling_s_p50: float | None = None
    handling_s_p95: float | None = None
    sla_breaches: int = 0
    sla_breach_rate: float | None = None


@dataclass
class Breakdown:
    key: str
    metrics: MetricSet


@dataclass
class MetricsReport:
    since: datetime
    until: datetime
    repeat_window_hours: float
    overall: MetricSet
    by: dict[str, list[Breakdown]]


class MetricsService:
    """Reads the conversations of a scope and computes the metrics defined in this module."""

    def __init__(self, database: Database, settings: AnalyticsSettings | None = None) -> None:
        self.db = database
        self.settings = settings or get_settings().analytics

    def run(
        self,
        scope: Scope,
        *,
        dimensions: Sequence[str] = DIMENSIONS,
        repeat_window_hours: float | None = None,
        now: datetime | None = None,
    ) -> MetricsReport:
        unknown = set(dimensions) - set(DIMENSIONS)
        if unknown:
            raise ValueError(f"unknown dimensions {sorted(unknown)}; known: {list(DIMENSIONS)}")
        window = timedelta(hours=repeat_window_hours or self.settings.repeat_window_hours)
        conversations = load_conversations(self.db, scope, now=now)
        outcomes = self.outcomes(conversations, window)
        by: dict[str, list[Breakdown]] = {}
        for name in dimensions:
            groups: defaultdict[str, list[ConversationFacts]] = defaultdict(list)
            for conversation in conversations:
                groups[conversation.dimension(name)].append(conversation)
            by[name] = [Breakdown(key, self.aggregate(groups[key], outcomes)) for key in sorted(groups)]
        return MetricsReport(
            since=scope.since,
            until=scope.until,
            repeat_window_hours=window.total_seconds() / 3600,
            overall=self.aggregate(conversations, outcomes),
            by=by,
        )

    # -- per conversation ---------------------------------------------------------------------

    def outcomes(self, conversations: Sequence[ConversationFacts], window: timedelta) -> dict[str, Outcome]:
        repeated = self._repeated(conversations, window)
        return {c.id: self.outcome(c, c.id in repeated) for c in conversations}

    def outcome(self, conversation: ConversationFacts, repeated: bool) -> Outcome:
        answers = conversation.answers
        return Outcome(
            contact=bool(conversation.user_turns),
            answered=any(t.mode in ANSWERED_MODES for t in answers),
            transferred=bool(conversation.tickets) or any(t.mode == "escalated" for t in answers),
            negative=any(self.settings.is_negative(f.rating, f.score) for f in conversation.feedback),
            repeated=repeated,
        )

    def _repeated(self, conversations: Sequence[ConversationFacts], window: timedelta) -> set[str]:
        """Ids of conversations whose customer came back on the same topic within the window."""
        if not conversations:
            return set()
        until = max(c.created_at for c in conversations) + window
        contacts = later_contacts(self.db, conversations, until)
        known = {c.id: c for c in conversations}
        missing = {i for ids in contacts.values() for i in ids if i not in known}
        if missing:
            known.update({extra.id: extra for extra in load_conversations(self.db, None, extra_ids=missing)})
        repeated = set()
        for conversation in conversations:
            if not conversation.user_id or not conversation.topics:
                continue
            for other_id in contacts.get(conversation.user_id, []):
                other = known[other_id]
                later = conversation.created_at < other.created_at <= conversation.created_at + window
                if later and other.tenant == conversation.tenant and other.topics & conversation.topics:
                    repeated.add(conversation.id)
                    break
        return repeated

    # -- aggregation --------------------------------------------------------------------------

    def aggregate(
        self, conversations: Iterable[ConversationFacts], outcomes: dict[str, Outcome]
    ) -> MetricSet:
        m = MetricSet()
        first_token: list[float] = []
        full: list[float] = []
        scores: list[int] = []
        handling: list[float] = []
        modes: defaultdict[str, int] = defaultdict(int)
        for c in conversations:
            o = outcomes[c.id]
            m.sessions += 1
            if o.contact:
                m.contacts += 1
                m.automated_resolutions += o.automated_resolution
                bot_resolved = o.answered and not o.transferred
                agent_resolved = (
                    o.transferred and bool(c.tickets) and all(t.status == "resolved" for t in c.tickets)
                )
                m.first_contact_resolutions += (
                    (bot_resolved or agent_resolved) and not o.negative and not o.repeated
                )
                m.transfers += o.transferred
                m.repeat_contacts += o.repeated
            for turn in c.answers:
                modes[turn.mode or "unknown"] += 1
                if turn.latency_ms is not None:
                    full.append(turn.latency_ms)
                    first_token.append(
                        turn.first_token_ms if turn.first_token_ms is not None else turn.latency_ms
                    )
            for f in c.feedback:
                m.thumbs_up += f.rating > 0
                m.thumbs_down += f.rating < 0
                if f.score is not None:
                    scores.append(f.score)
            for t in c.tickets:
                m.tickets += 1
                m.tickets_resolved += t.status == "resolved"
                m.sla_breaches += t.breached
                if t.handling_s is not None:
                    handling.append(t.handling_s)
        m.answers_by_mode = dict(sorted(modes.items()))
        m.answers = sum(modes.values())
        m.refusals = modes.get("refused", 0)
        m.automated_resolution_rate = rate(m.automated_resolutions, m.contacts)
        m.first_contact_resolution_rate = rate(m.first_contact_resolutions, m.contacts)
        m.transfer_rate = rate(m.transfers, m.contacts)
        m.refusal_rate = rate(m.refusals, m.answers)
        m.thumbs_up_rate = rate(m.thumbs_up, m.thumbs_up + m.thumbs_down)
        m.scores = len(scores)
        m.score_mean = round(float(np.mean(scores)), 4) if scores else None
        m.csat = rate(sum(s >= self.settings.satisfied_score_min for s in scores), len(scores))
        m.first_token_ms_p50, m.first_token_ms_p95 = percentile(first_token, 50), percentile(first_token, 95)
        m.answer_ms_p50, m.answer_ms_p95 = percentile(full, 50), percentile(full, 95)
        m.handling_s_p50, m.handling_s_p95 = percentile(handling, 50), percentile(handling, 95)
        m.sla_breach_rate = rate(m.sla_breaches, m.tickets)
        return m


def last_days(days: int, *, now: datetime | None = None) -> tuple[datetime, datetime]:
    """[now - days, now): the window the API's `days` parameter means (now: this instant)."""
    until = now or utcnow() + timedelta(microseconds=1)
    return until - timedelta(days=days), until
