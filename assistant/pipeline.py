"""The turn service: one customer message in, the decided reply out, written once.

  load the conversation (once) -> answer (assistant.answering) -> escalation decision
  -> one transaction: the customer's message, the reply, and any ticket

A turn that escalates is written as the handoff notice in the transaction that opens the ticket,
so no stored reply is ever rewritten, and a stream's last event is the decided reply. While an
agent holds the conversation the bot stays silent: the message is stored, unanswered.
Evaluation runs (record=False) answer without reading or writing any conversation.

Each turn is answered by its release arm (assistant.releases): the knowledge-base version and
settings the conversation's arm serves; the turn records the arm and the version that answered.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from typing import Any

from assistant.answering import Answerer, Sources, Token
from assistant.conversations import (
    ConversationAccess,
    ConversationNotFound,
    ConversationStore,
    LoadedConversation,
    add_rows,
    turn_rows,
    user_row,
)
from assistant.escalation.hook import Escalator, Handoff, handoff_notice
from assistant.releases import Arm, ReleaseStore
from assistant.retrieval.types import RetrievalFilters
from assistant.turn import AnswerResult, EscalationVerdict, Question, Verdicts
from assistant.types import Message
from ingest.config import Settings
from ingest.db import Database, open_database
from ingest.errors import InvalidInput
from ingest.text import detect_language


@dataclass(frozen=True)
class AnswerRequest:
    question: str
    # The knowledge base of a new conversation (or of a turn outside one); an existing
    # conversation's own knowledge base, channel and user are the ones that count.
    kb: str | None = None
    conversation_id: str | None = None
    # Set by the API: the conversation must exist and be visible to the caller (else not found).
    access: ConversationAccess | None = None
    # Explicit history (evaluation runs, OpenAI-style calls); otherwise the conversation's stored turns.
    history: list[Message] | None = None
    filters: RetrievalFilters | None = None
    channel: str = "api"
    user_id: str | None = None
    user_profile: dict[str, Any] = field(default_factory=dict)
    record: bool = True
    # Answer with this release arm rather than the conversation's (evaluation of a release's arms).
    arm: Arm | None = None


@dataclass(frozen=True)
class Final:
    """Stream event: the decided reply, as stored."""

    answer: AnswerResult


class AnswerPipeline:
    def __init__(
        self, settings: Settings, *, database: Database | None = None, escalator: Escalator | None = None
    ) -> None:
        self.settings = settings
        self.db = database or open_database(settings.sql_url)
        self.conversations = ConversationStore(self.db)
        self.answerer = Answerer(settings, database=self.db)
        self.escalator = escalator or Escalator(settings, database=self.db)
        self.releases = ReleaseStore(self.db)
        # One Answerer per distinct set of arm overrides (the published arm's is usually empty).
        self._answerers: dict[tuple[tuple[str, Any], ...], Answerer] = {(): self.answerer}
        self._answerers_lock = threading.Lock()

    # -- one turn, whole answer ---------------------------------------------------------------

    def run(self, request: AnswerRequest, conversation: LoadedConversation | None = None) -> AnswerResult:
        """Answer one turn; `conversation` is the request's as `open` read it (read here if not)."""
        if not request.record:
            arm = self._arm(request, None)
            return self._answered(arm, self.answerer_for(arm).run(self._question(request, None, arm)))
        if conversation is None:
            conversation = self.open(request)
        if conversation.info.state == "human":
            return self._silent(conversation, request)
        arm = self._arm(request, conversation)
        answer = self.answerer_for(arm).run(self._question(request, conversation, arm))
        return self.record(conversation, self._answered(arm, answer))

    # -- one turn, streamed -------------------------------------------------------------------

    async def astream(
        self, request: AnswerRequest, conversation: LoadedConversation | None = None
    ) -> AsyncIterator[Sources | Token | Final]:
        """Sources, the draft's pieces as Tokens, then Final with the decided reply: its text is the
        one to keep (the extractive answer when the streamed draft failed the grounding check, the
        handoff notice when the turn escalated)."""
        if not request.record:
            arm = await asyncio.to_thread(self._arm, request, None)
            async for event in self._astream_answer(request, None, arm):
                yield event
            return
        if conversation is None:
            conversation = await asyncio.to_thread(self.open, request)
        if conversation.info.state == "human":
            yield Final(await asyncio.to_thread(self._silent, conversation, request))
            return
        arm = await asyncio.to_thread(self._arm, request, conversation)
        started, first_token_ms = time.perf_counter(), None
        async for event in self._astream_answer(request, conversation, arm):
            if isinstance(event, Token) and first_token_ms is None:
                first_token_ms = (time.perf_counter() - started) * 1000
            if isinstance(event, Final):
                # Time to first token (analytics): the first streamed piece, else the whole reply.
                answer = event.answer
                first = (
                    first_token_ms if first_token_ms is not None else (time.perf_counter() - started) * 1000
                )
                answer = replace(answer, timings_ms={**answer.timings_ms, "first_token": round(first, 2)})
                event = Final(await asyncio.to_thread(self.record, conversation, answer))
            yield event

    async def _astream_answer(
        self, request: AnswerRequest, conversation: LoadedConversation | None, arm: Arm
    ) -> AsyncIterator[Sources | Token | Final]:
        answerer = await asyncio.to_thread(self.answerer_for, arm)
        async for event in answerer.astream(self._question(request, conversation, arm)):
            yield Final(self._answered(arm, event)) if isinstance(event, AnswerResult) else event

    # -- steps --------------------------------------------------------------------------------

    def open(self, request: AnswerRequest) -> LoadedConversation:
        """The request's conversation with its messages: the turn's one read of it. Created when
        it is new, unless the request carries the caller's access (then it must exist and be
        visible: ConversationNotFound otherwise)."""
        if request.conversation_id:
            try:
                return self.conversations.load(request.conversation_id, request.access)
            except ConversationNotFound:
                if request.access is not None:
                    raise
        if request.kb is None:
            raise InvalidInput("a new conversation needs the knowledge base it asks")
        info = self.conversations.create(
            request.kb,
            channel=request.channel,
            user_id=request.user_id,
            user_profile=request.user_profile,
            conversation_id=request.conversation_id,
        )
        return LoadedConversation(info, ())

    def _question(
        self, request: AnswerRequest, conversation: LoadedConversation | None, arm: Arm
    ) -> Question:
        history = request.history
        if history is None:
            history = conversation.history(self.answerer.history_window) if conversation is not None else []
        return Question.of(
            request.question, self._kb(request, conversation), history, request.filters, arm.version
        )

    def _arm(self, request: AnswerRequest, conversation: LoadedConversation | None) -> Arm:
        """The request's arm if it names one, else the conversation's (the published one outside
        a conversation)."""
        if request.arm is not None:
            return request.arm
        if conversation is None:
            return self.releases.published_arm(self._kb(request, None))
        info = conversation.info
        return self.releases.arm_for(info.kb_name, info.id, info.user_id, new=not conversation.messages)

    @staticmethod
    def _kb(request: AnswerRequest, conversation: LoadedConversation | None) -> str:
        if conversation is not None:
            return conversation.info.kb_name
        if request.kb is None:
            raise InvalidInput("a question outside a conversation needs its knowledge base")
        return request.kb

    def answerer_for(self, arm: Arm) -> Answerer:
        """The Answerer with the arm's settings (built once per distinct override set)."""
        answerer = self._answerers.get(arm.overrides)
        if answerer is None:
            with self._answerers_lock:
                answerer = self._answerers.get(arm.overrides)
                if answerer is None:
                    answerer = Answerer(self.settings.model_copy(update=arm.settings), database=self.db)
                    if arm.answerable_threshold is not None:
                        answerer.judge.params = replace(
                            answerer.judge.params, threshold=arm.answerable_threshold
                        )
                    self._answerers[arm.overrides] = answerer
        return answerer

    @staticmethod
    def _answered(arm: Arm, answer: AnswerResult) -> AnswerResult:
        return replace(answer, arm=arm.name)

    def _silent(self, conversation: LoadedConversation, request: AnswerRequest) -> AnswerResult:
        """An agent holds the conversation: store the (redacted) message, answer nothing."""
        redacted = self.answerer.input_guard.redactor.run(request.question).text
        lang = detect_language(request.question)
        with self.db.session() as session:
            add_rows(session, [user_row(conversation.info.id, conversation.next_seq, redacted, lang)])
        return AnswerResult(
            text="",
            mode="human",
            lang=lang,
            question=redacted,
            query=redacted,
            citations=(),
            passages=(),
            verdicts=Verdicts(),
            timings_ms={},
            conversation_id=conversation.info.id,
        )

    def record(self, conversation: LoadedConversation, answer: AnswerResult) -> AnswerResult:
        """Decide on escalation, then write the turn (and any ticket) in one transaction."""
        conversation_id = conversation.info.id
        user, reply = turn_rows(conversation_id, conversation.next_seq, answer)
        handoff = self.escalator.decide(conversation.info, [*conversation.messages, user, reply])
        with self.db.session() as session:
            ticket = self.escalator.open(session, conversation_id, handoff) if handoff is not None else None
            decided = answer if ticket is None or handoff is None else _escalated(answer, handoff, ticket.id)
            user, reply = turn_rows(conversation_id, user.seq, decided, ids=(user.id, reply.id))
            add_rows(session, [user, reply])
            if ticket is not None and handoff is not None and handoff.active is None:
                self.escalator.mark(session, conversation_id, ticket, handoff.decision)
        return decided.stored(conversation_id, reply.id)


def _escalated(answer: AnswerResult, handoff: Handoff, ticket_id: int) -> AnswerResult:
    """The handoff notice in place of the bot's reply, which the verdicts keep for the agent."""
    escalation = EscalationVerdict(
        ticket_id=ticket_id,
        reasons=tuple(handoff.decision.reason_codes),
        priority=handoff.decision.priority,
        bot_text=answer.text,
        bot_mode=answer.mode,
    )
    return replace(
        answer,
        text=handoff_notice(answer.lang, ticket_id),
        mode="escalated",
        citations=(),
        verdicts=replace(answer.verdicts, escalation=escalation),
    )
