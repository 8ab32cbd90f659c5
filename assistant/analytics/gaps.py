"""Gap mining: what the bot could not answer, grouped into topics and ranked.

A failed question is a customer message whose reply was
- refused: the knowledge base had no answer (an input-guard block is not a gap),
- low confidence: answered, with an answerability probability below
  KEFU_ESCALATION_LOW_CONFIDENCE (the same line the escalation policy draws),
- thumbs down: the reply got negative feedback (thumbs down or a 1-5 score at or below
  KEFU_ANALYTICS_NEGATIVE_SCORE_MAX),
- escalated: the reply was the handoff notice, or it is the last customer message before the
  conversation was handed to a human.

Failed questions (the condensed standalone query when there is one) are embedded as queries by
kefu's embedder and clustered with HDBSCAN (clustering.py). Each cluster is named by its most
central question (the medoid), and ranked by volume, then by trend: how many more of its questions
came in the second half of the window than in the first. A cluster shows example conversations,
the knowledge-base chunks the retriever ranked first for its questions (the closest existing
content), and the answers agents gave inside it. Questions in no cluster are listed apart, newest
first. `KnowledgeLoop.propose_question` turns a cluster into an FAQ candidate for review.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import select

from assistant.analytics.clustering import ClusterParams, cluster, medoid
from assistant.analytics.facts import ConversationFacts, Scope, TurnFacts, load_conversations
from ingest.config import AnalyticsSettings, EscalationSettings, get_settings
from assistant.analytics.vectors import query_vectors
from assistant.escalation.handoff import turn_outcome
from assistant.models import ChatMessage
from ingest.db import Database
from ingest.embedding import Embedder
from ingest.models import Chunk

REASONS = ("refused", "low_confidence", "thumbs_down", "escalated")
SNIPPET_CHARS = 240


@dataclass
class FailedQuestion:
    conversation_id: str
    message_id: str  # the customer's message
    reply_id: str | None
    text: str
    kb: str
    channel: str
    lang: str
    created_at: datetime
    reasons: list[str]
    top_chunks: list[str] = field(default_factory=list)  # the reply's retrieved chunks, best first


@dataclass
class ChunkRef:
    chunk_id: str
    source: str
    title: str
    text: str
    hits: int  # failed questions of the cluster that retrieved it first


@dataclass
class GapCluster:
    id: int
    name: str  # the most central question
    kb: str  # the knowledge base most of its questions were asked in
    volume: int
    recent: int  # questions in the second half of the window
    earlier: int
    reasons: dict[str, int]
    examples: list[FailedQuestion]
    chunks: list[ChunkRef]
    agent_answers: list[str]
    conversation_ids: list[str]

    @property
    def trend(self) -> int:
        return self.recent - self.earlier


@dataclass
class GapReport:
    since: datetime
    until: datetime
    failed: int
    clusters: list[GapCluster]
    unclustered: list[FailedQuestion]


class GapMiner:
    def __init__(
        self,
        database: Database,
        embedder: Embedder,
        *,
        settings: AnalyticsSettings | None = None,
        escalation: EscalationSettings | None = None,
        params: ClusterParams | None = None,
    ) -> None:
        self.db = database
        self.embedder = embedder
        self.settings = settings or get_settings().analytics
        self.escalation = escalation or get_settings().escalation
        self.params = params or ClusterParams()

    def run(self, scope: Scope) -> GapReport:
        conversations = load_conversations(self.db, scope)
        failed = [q for c in conversations for q in self.failed_questions(c)]
        failed = sorted(failed, key=lambda q: q.created_at)[-self.settings.gap_questions_max :]
        by_conversation = {c.id: c for c in conversations}
        if not failed:
            return GapReport(scope.since, scope.until, 0, [], [])
        vectors, _ = query_vectors(self.db, self.embedder, [q.text for q in failed])
        labels = cluster(vectors, self.params)
        middle = scope.since + (scope.until - scope.since) / 2
        clusters = []
        for label in sorted(set(labels.tolist()) - {-1}):
            index = [i for i, value in enumerate(labels) if value == label]
            clusters.append(
                self._cluster(int(label), [failed[i] for i in index], vectors[index], middle, by_conversation)
            )
        clusters.sort(key=lambda c: (-c.volume, -c.trend, c.name))
        for rank, gap in enumerate(clusters, 1):
            gap.id = rank
        unclustered = sorted(
            (failed[i] for i, value in enumerate(labels) if value == -1),
            key=lambda q: q.created_at,
            reverse=True,
        )
        return GapReport(scope.since, scope.until, len(failed), clusters, unclustered)

    # -- failed questions ---------------------------------------------------------------------

    def failed_questions(self, conversation: ConversationFacts) -> list[FailedQuestion]:
        negative = {
            f.message_id for f in conversation.feedback if self.settings.is_negative(f.rating, f.score)
        }
        found: dict[str, FailedQuestion] = {}
        question: TurnFacts | None = None  # the customer message awaiting a reply
        last: tuple[TurnFacts, TurnFacts | None] | None = None  # the latest question and its reply
        for turn in conversation.turns:
            if turn.role == "user":
                question, last = turn, (turn, None)
            elif turn.role == "assistant" and question is not None:
                reasons = self._reasons(turn, negative)
                if reasons:
                    found[question.id] = self._failed(conversation, question, turn, reasons)
                last, question = (question, turn), None
            elif turn.role == "system" and (turn.verdicts.get("escalation") or {}).get("event") == "opened":
                # A handoff the customer asked for (no escalated reply): the customer's last
                # question before it is what the bot left unsolved.
                if last is not None:
                    asked, reply = last
                    entry = found.get(asked.id) or self._failed(conversation, asked, reply, [])
                    if "escalated" not in entry.reasons:
                        entry.reasons.append("escalated")
                    found[asked.id] = entry
        return list(found.values())

    def _reasons(self, reply: TurnFacts, negative: set[str]) -> list[str]:
        outcome = turn_outcome(cast(ChatMessage, reply), self.escalation)
        reasons: list[str] = [outcome] if outcome in ("refused", "low_confidence", "escalated") else []
        if reply.id in negative:
            reasons.append("thumbs_down")
        return reasons

    @staticmethod
    def _failed(
        conversation: ConversationFacts, question: TurnFacts, reply: TurnFacts | None, reasons: list[str]
    ) -> FailedQuestion:
        ranked = sorted(reply.sources, key=lambda s: s.get("n") or 0) if reply is not None else []
        return FailedQuestion(
            conversation_id=conversation.id,
            message_id=question.id,
            reply_id=reply.id if reply else None,
            text=((reply.query if reply is not None else None) or question.content).strip(),
            kb=conversation.kb,
            channel=conversation.channel,
            lang=question.lang or conversation.lang,
            created_at=question.created_at,
            reasons=list(reasons),
            top_chunks=[str(s["chunk_id"]) for s in ranked if s.get("chunk_id")],
        )

    # -- one cluster --------------------------------------------------------------------------

    def _cluster(
        self,
        label: int,
        members: list[FailedQuestion],
        vectors: Any,
        middle: datetime,
        conversations: dict[str, ConversationFacts],
    ) -> GapCluster:
        centre = medoid(vectors)
        similarity = vectors @ vectors[centre]
        ordered = [members[i] for i in sorted(range(len(members)), key=lambda i: -float(similarity[i]))]
        reasons = Counter(r for q in members for r in q.reasons)
        ids = list(dict.fromkeys(q.conversation_id for q in ordered))
        return GapCluster(
            id=label,
            name=members[centre].text,
            kb=Counter(q.kb for q in members).most_common(1)[0][0],
            volume=len(members),
            recent=sum(q.created_at >= middle for q in members),
            earlier=sum(q.created_at < middle for q in members),
            reasons={r: reasons[r] for r in REASONS if reasons[r]},
            examples=ordered[: self.settings.gap_examples],
            chunks=self._chunks(members),
            agent_answers=self._agent_answers([conversations[i] for i in ids]),
            conversation_ids=ids,
        )

    def _chunks(self, members: Sequence[FailedQuestion]) -> list[ChunkRef]:
        hits = Counter(q.top_chunks[0] for q in members if q.top_chunks)
        top = [chunk_id for chunk_id, _ in hits.most_common(self.settings.gap_examples)]
        if not top:
            return []
        with self.db.session() as session:
            rows = {row.id: row for row in session.scalars(select(Chunk).where(Chunk.id.in_(top)))}
            refs = []
            for chunk_id in top:
                row = rows.get(chunk_id)
                document = row.document if row is not None else None
                if row is None or document is None:  # removed from the knowledge base since
                    continue
                title = " > ".join(row.heading_path or []) or document.title
                refs.append(
                    ChunkRef(chunk_id, document.source, title, row.text[:SNIPPET_CHARS], hits[chunk_id])
                )
            return refs

    def _agent_answers(self, conversations: Sequence[ConversationFacts]) -> list[str]:
        answers: list[str] = []
        for conversation in conversations:
            texts = [t.content for t in conversation.turns if t.role == "agent"]
            texts += [t.resolution for t in conversation.tickets if t.resolution]
            for text in texts:
                if text.strip() and text.strip() not in answers:
                    answers.append(text.strip())
        return answers[: self.settings.gap_examples]
