"""The answer pipeline, read top to bottom:

  guard_in -> condense -> retrieve -> neutralise -> decide -> generate | extract -> ground -> guard_out -> record

Each step is a component with one run(); this module only wires them and records per-step timings.
Between decide and generate, the generation gate sends a turn to the extractive answer without a
draft while the model's recent drafts keep failing the grounding check (generation_gate.py).
Decisions that must not depend on the LLM being smart (refuse, which language the model may write,
whether a generated answer is grounded) are made by code and scores; the LLM only phrases the answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field
from typing import Any

from assistant.answerability import AnswerabilityJudge
from assistant.condense import QueryCondenser
from assistant.conversations import ConversationStore
from assistant.extractive import ExtractiveAnswerer
from assistant.generation import AnswerGenerator, attach_citations
from assistant.generation_gate import GenerationGate
from assistant.escalation.hook import Escalator
from assistant.grounding import GroundingChecker, citations_in, is_chinese
from assistant.guards.injection import neutralize_passage
from assistant.guards.input_guard import InputGuard
from assistant.guards.output_guard import OutputGuard
from assistant.llm.capabilities import model_capabilities
from assistant.llm.client import LLMError
from assistant.retrieval.retriever import HybridRetriever, RetrievalFilters
from assistant.timing import StepTimer
from assistant.types import AnswerMode, Citation, Message, Passage
from ingest.chunking import count_tokens
from ingest.config import Settings
from ingest.db import Database, open_database
from ingest.embedding import get_embedder

TOP_K = 5
HISTORY_TURNS = 6

NOT_IN_KB = {
    "en": "I couldn't find this in our help centre, so I'd rather not guess. "
    "Would you like me to connect you with a human agent?",
    "zh": "抱歉，知识库中没有找到相关信息，我不想随意猜测。需要为您转接人工客服吗？",
}


@dataclass
class AnswerRequest:
    question: str
    kb: str
    conversation_id: str | None = None
    # Explicit history (evaluation runs); otherwise the conversation's stored turns are used.
    history: list[Message] | None = None
    filters: RetrievalFilters | None = None
    channel: str = "api"
    user_id: str | None = None
    user_profile: dict[str, Any] = field(default_factory=dict)
    record: bool = True


@dataclass
class AnswerResult:
    text: str
    mode: AnswerMode
    lang: str
    conversation_id: str | None
    message_id: str | None
    query: str
    citations: list[Citation]
    passages: list[Passage]
    verdicts: dict[str, Any]
    timings_ms: dict[str, float]
    model: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def refused(self) -> bool:
        return self.mode == "refused"


def detect_language(text: str) -> str:
    return "zh" if is_chinese(text) else "en"


def cite(passages: list[Passage], numbers: list[int]) -> list[Citation]:
    by_n = {p.n: p for p in passages}
    return [
        Citation(
            n=n, chunk_id=p.chunk_id, doc_id=p.doc_id, title=p.title, heading_path=p.heading_path,
            page=p.page, url=p.url, source=p.source, snippet=p.text[:240],
        )
        for n in dict.fromkeys(numbers)
        if (p := by_n.get(n)) is not None
    ]


@dataclass
class _Draft:
    """What the answer steps agree on before it is checked and recorded."""

    text: str
    mode: AnswerMode
    citations_used: list[int]
    model: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0


class AnswerPipeline:
    def __init__(self, settings: Settings, *, database: Database | None = None) -> None:
        self.settings = settings
        self.db = database or open_database(settings.sql_url)
        self.conversations = ConversationStore(self.db)
        self.input_guard = InputGuard()
        self.condenser = QueryCondenser(settings)
        self.retriever = HybridRetriever(settings, database=self.db)
        self.judge = AnswerabilityJudge()
        self.generator = AnswerGenerator(settings)
        # The embedder's sentence similarity: which sentence answers (extractor), whether a
        # paraphrase that shares few words with its passage is supported (grounding).
        self.extractor = ExtractiveAnswerer(embedder=get_embedder(settings))
        self.grounding = GroundingChecker(embedder=get_embedder(settings))
        self.output_guard = OutputGuard()
        self.capabilities = model_capabilities(settings.llm_model)
        # The gate's record is shared through the database by every process answering with this model.
        # The packaged local model's drafts pass the grounding check about one time in ten: its
        # record starts closed, so the first customers do not wait for drafts that fail.
        self.gate = GenerationGate(
            settings.llm_min_grounded_rate, database=self.db, model=settings.llm_model,
            start_closed=self.capabilities.local,
        )
        self.escalator = Escalator(settings, database=self.db)

    # -- one turn, whole answer ---------------------------------------------------------------

    def run(self, request: AnswerRequest) -> AnswerResult:
        timer = StepTimer()
        prepared = self._prepare(request, timer)
        if isinstance(prepared, AnswerResult):
            return self.escalator.apply(prepared)
        draft = self._answer(prepared, timer)
        return self.escalator.apply(self._finish(prepared, draft, timer))

    # -- one turn, streamed -------------------------------------------------------------------

    async def astream(self, request: AnswerRequest) -> AsyncIterator[dict[str, Any]]:
        """Events: {"type": "sources"}, {"type": "token"}*, optionally {"type": "replace"} when the
        streamed text failed the grounding check and the extractive answer replaces it, then
        {"type": "final"} with the recorded answer (mode, citations, timings)."""
        timer = StepTimer()
        prepared = await asyncio.to_thread(self._prepare, request, timer)
        if isinstance(prepared, AnswerResult):
            prepared = await asyncio.to_thread(self.escalator.apply, prepared)
            yield {"type": "final", "answer": answer_to_dict(prepared)}
            return
        yield {"type": "sources", "passages": [asdict(p) for p in prepared.passages]}
        if prepared.route != "generate":
            draft = await asyncio.to_thread(self._answer, prepared, timer)
            yield {"type": "token", "text": draft.text}
        else:
            pieces: list[str] = []
            with timer.step("generate"):
                try:
                    async for piece in self.generator.astream(
                        prepared.query_for_answer, prepared.passages, prepared.lang
                    ):
                        pieces.append(piece)
                        yield {"type": "token", "text": piece}
                    # The small model often leaves sentences uncited; cite them where one passage
                    # clearly supports them, as run() does, before the grounding check.
                    text, _ = attach_citations("".join(pieces).strip(), prepared.passages)
                    draft = _Draft(text, "generated", [], model=self.settings.llm_model)
                except LLMError as exc:
                    draft = self._llm_failed(prepared, exc)
            checked = await asyncio.to_thread(self._ground, prepared, draft, timer)
            if checked.text != draft.text:
                yield {"type": "replace", "text": checked.text}
            draft = checked
        result = await asyncio.to_thread(self._finish, prepared, draft, timer)
        result = await asyncio.to_thread(self.escalator.apply, result)
        if result.mode == "escalated":
            yield {"type": "replace", "text": result.text}
        yield {"type": "final", "answer": answer_to_dict(result)}

    # -- steps --------------------------------------------------------------------------------

    def _prepare(self, request: AnswerRequest, timer: StepTimer) -> _Turn | AnswerResult:
        turn = _Turn(request=request, lang=detect_language(request.question))
        if request.record:
            turn.conversation_id = self._conversation(request)
            state = self.conversations.get(turn.conversation_id).state
            if state == "human":  # an agent holds the session: the bot stays silent
                redacted = self.input_guard.redactor.run(request.question).text
                self.conversations.add_message(turn.conversation_id, "user", redacted)
                return self._result(turn, _Draft("", "human", []), timer, record=False)

        with timer.step("guard_in"):
            guard = self.input_guard.run(request.question)
        turn.question = guard.text
        turn.verdicts["input_guard"] = guard.verdicts
        if guard.blocked:
            return self._finish(turn, _Draft(guard.refusal or "", "refused", []), timer)

        history = request.history
        if history is None and turn.conversation_id is not None:
            history = self.conversations.history(turn.conversation_id, last=HISTORY_TURNS)
        with timer.step("condense"):
            condensed = self.condenser.run(turn.question, history or [])
        turn.query = condensed.query
        turn.verdicts["condense"] = condensed.method

        with timer.step("retrieve"):
            retrieved = self.retriever.run(turn.query, request.kb, top_k=TOP_K, filters=request.filters)
        passages = retrieved.passages
        for n, passage in enumerate(passages, 1):
            passage.n = n
            passage.text, planted = neutralize_passage(passage.text)
            if planted:
                turn.verdicts.setdefault("planted_instructions", []).append(passage.chunk_id)
        turn.passages = passages
        turn.kb_version = retrieved.kb_version

        with timer.step("decide"):
            verdict = self.judge.run(turn.query, passages, term_weights=retrieved.query_terms)
        turn.verdicts["answerability"] = {
            "answerable": verdict.answerable, "probability": round(verdict.probability, 4),
            "reason": verdict.reason,
        }
        if not verdict.answerable:
            turn.route = "refuse"
        elif not self.capabilities.writes(turn.lang):
            turn.route = "extract"  # e.g. a Chinese question on the English-only local model
        else:
            gate = self.gate.run(turn.lang)
            turn.verdicts["generation_gate"] = gate.as_dict()
            # Closed: the model's recent drafts kept failing the grounding check (generation_gate.py).
            turn.route = "generate" if gate.draft else "extract"
        return turn

    def _answer(self, turn: _Turn, timer: StepTimer) -> _Draft:
        if turn.route == "refuse":
            return _Draft(NOT_IN_KB[turn.lang], "refused", [])
        if turn.route == "extract":
            with timer.step("extract"):
                return self._extractive(turn)
        with timer.step("generate"):
            try:
                generated = self.generator.run(turn.query_for_answer, turn.passages, turn.lang)
            except LLMError as exc:
                return self._llm_failed(turn, exc)
        draft = _Draft(
            generated.text, "generated", generated.citations_used, model=generated.model,
            prompt_tokens=generated.prompt_tokens, completion_tokens=generated.completion_tokens,
        )
        return self._ground(turn, draft, timer)

    def _extractive(self, turn: _Turn) -> _Draft:
        extracted = self.extractor.run(turn.query_for_answer, turn.passages, turn.lang)
        return _Draft(extracted.text, "extractive", extracted.citations_used)

    def _llm_failed(self, turn: _Turn, exc: LLMError) -> _Draft:
        turn.verdicts["llm_error"] = str(exc)
        self.gate.record(turn.lang, grounded=False)
        return self._extractive(turn)

    def _ground(self, turn: _Turn, draft: _Draft, timer: StepTimer) -> _Draft:
        """A generated answer stands only if its citations and sentences are supported."""
        if draft.mode != "generated":
            return draft
        with timer.step("ground"):
            grounding = self.grounding.run(draft.text, turn.passages, question=turn.query_for_answer)
        turn.verdicts["grounding"] = {"ok": grounding.ok, "score": round(grounding.score, 4),
                                      "reasons": list(grounding.reasons)}
        self.gate.record(turn.lang, grounded=grounding.ok)
        if grounding.ok:
            draft.citations_used = citations_in(draft.text)
            return draft
        fallback = self._extractive(turn)
        fallback.model, fallback.prompt_tokens, fallback.completion_tokens = (
            draft.model, draft.prompt_tokens, draft.completion_tokens,
        )
        return fallback

    def _finish(self, turn: _Turn, draft: _Draft, timer: StepTimer) -> AnswerResult:
        if draft.mode in ("generated", "extractive"):
            with timer.step("guard_out"):
                checked = self.output_guard.run(draft.text, turn.question, turn.passages)
            turn.verdicts["output_guard"] = checked.as_dict()
            draft.text = checked.answer
        return self._result(turn, draft, timer, record=turn.request.record)

    def _result(self, turn: _Turn, draft: _Draft, timer: StepTimer, *, record: bool) -> AnswerResult:
        result = AnswerResult(
            text=draft.text, mode=draft.mode, lang=turn.lang, conversation_id=turn.conversation_id,
            message_id=None, query=turn.query or turn.question, passages=turn.passages,
            citations=cite(turn.passages, draft.citations_used), verdicts=turn.verdicts,
            timings_ms={name: round(ms, 2) for name, ms in timer.ms.items()}, model=draft.model, prompt_tokens=draft.prompt_tokens,
            completion_tokens=draft.completion_tokens,
        )
        result.timings_ms["total"] = round(timer.total(), 2)
        if record and turn.conversation_id is not None:
            result.message_id = self._record(turn, result)
        return result

    def _conversation(self, request: AnswerRequest) -> str:
        if request.conversation_id:
            try:
                return self.conversations.get(request.conversation_id).id
            except LookupError:
                pass
        return self.conversations.create(
            request.kb, channel=request.channel, user_id=request.user_id,
            user_profile=request.user_profile, conversation_id=request.conversation_id,
        ).id

    def _record(self, turn: _Turn, result: AnswerResult) -> str:
        self.conversations.add_message(
            turn.conversation_id, "user", turn.question, lang=turn.lang,
            tokens=count_tokens(turn.question), verdicts={"input_guard": turn.verdicts.get("input_guard")},
        )
        message = self.conversations.add_message(
            turn.conversation_id, "assistant", result.text, mode=result.mode, lang=result.lang,
            query=result.query,
            sources=[
                {"n": p.n, "chunk_id": p.chunk_id, "doc_id": p.doc_id, "source": p.source,
                 "title": p.title, "score": p.score, "scores": p.scores}
                for p in result.passages
            ],
            citations=[asdict(c) for c in result.citations],
            verdicts=result.verdicts, timings_ms=result.timings_ms,
            latency_ms=result.timings_ms.get("total"), tokens=count_tokens(result.text),
            prompt_tokens=result.prompt_tokens, completion_tokens=result.completion_tokens,
            model=result.model, kb_version=turn.kb_version,
        )
        return message.id


@dataclass
class _Turn:
    request: AnswerRequest
    lang: str
    conversation_id: str | None = None
    question: str = ""  # after redaction
    query: str = ""  # standalone query after condensing
    passages: list[Passage] = field(default_factory=list)
    verdicts: dict[str, Any] = field(default_factory=dict)
    route: str = "refuse"
    kb_version: int | None = None

    @property
    def query_for_answer(self) -> str:
        return self.query or self.question


def answer_to_dict(result: AnswerResult) -> dict[str, Any]:
    data = asdict(result)
    data["refused"] = result.refused
    return data
