"""Running the answer pipeline for a conversation, and shaping its results for the routes."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool

from api.auth import Principal
from api.deps import conversation_access
from api.errors import status_for
from api.schemas import AnswerOut, CitationOut, MessageOut, SourceOut
from api.services import Services
from assistant.models import ChatMessage
from ingest.errors import KefuError

if TYPE_CHECKING:
    from assistant.conversations import LoadedConversation
    from assistant.pipeline import AnswerPipeline, AnswerRequest
    from assistant.turn import AnswerResult
    from assistant.types import Passage

log = logging.getLogger("kefu.api")


def answer_request(who: Principal, session_id: str, text: str) -> AnswerRequest:
    """A customer's message in an existing session; the pipeline reads the session once and
    answers 404 when the key may not see it."""
    from assistant.pipeline import AnswerRequest

    return AnswerRequest(question=text, conversation_id=session_id, access=conversation_access(who))


async def open_turn(svc: Services, request: AnswerRequest) -> tuple[AnswerPipeline, LoadedConversation]:
    """The pipeline and the request's conversation, read once, before any answer (or stream)
    starts: a session the caller may not see is a 404, never a failed stream."""
    pipeline = await run_in_threadpool(svc.answers)
    return pipeline, await run_in_threadpool(pipeline.open, request)


async def answer(
    svc: Services, request: AnswerRequest, conversation: LoadedConversation | None = None
) -> AnswerResult:
    """One whole answer, off the event loop; `conversation` when the caller already read it."""
    if conversation is None:
        pipeline, conversation = await open_turn(svc, request)
    else:
        pipeline = await run_in_threadpool(svc.answers)
    return await run_in_threadpool(pipeline.run, request, conversation)


def result_out(result: AnswerResult) -> AnswerOut:
    """The decided reply (assistant.turn.AnswerResult), as the API returns it."""
    return AnswerOut(
        message_id=result.message_id,
        session_id=result.conversation_id,
        text=result.text,
        mode=result.mode,
        lang=result.lang,
        refused=result.refused,
        citations=[CitationOut(**asdict(c)) for c in result.citations],
        timings_ms=dict(result.timings_ms),
        model=result.model,
    )


def source_out(passage: Passage) -> SourceOut:
    return SourceOut(
        n=passage.n,
        chunk_id=passage.chunk_id,
        doc_id=passage.doc_id,
        title=passage.title,
        source=passage.source,
        url=passage.url,
        page=passage.page,
        kind=passage.kind,
        score=passage.score,
        snippet=passage.text[:240],
    )


def message_out(message: ChatMessage) -> MessageOut:
    return MessageOut(
        id=message.id,
        seq=message.seq,
        role=message.role,
        content=message.content,
        mode=message.mode,
        citations=list(message.citations or []),
        author=message.author,
        created_at=message.created_at,
    )


def sse(event: str, data: Any) -> bytes:
    """One server-sent event; the JSON is on one line (newlines inside strings are escaped)."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False, default=str)}\n\n".encode()


async def stream_answer(
    pipeline: AnswerPipeline, request: AnswerRequest, conversation: LoadedConversation
) -> AsyncIterator[bytes]:
    """AnswerPipeline.astream as SSE: `sources`, `token`*, then `final`: the decided reply as
    stored, whose text is the one to keep (the streamed draft may have failed a check, or the turn
    handed the conversation to a human); or `error`."""
    from assistant.answering import Sources, Token
    from assistant.pipeline import Final

    try:
        async for event in pipeline.astream(request, conversation):
            if isinstance(event, Sources):
                yield sse("sources", {"sources": [source_out(p).model_dump() for p in event.passages]})
            elif isinstance(event, Token):
                yield sse("token", {"text": event.text})
            elif isinstance(event, Final):
                yield sse("final", result_out(event.answer).model_dump(mode="json"))
    except Exception as exc:  # headers are sent: the stream itself must carry the failure
        code = status_for(exc) if isinstance(exc, KefuError) else 500
        if code < 500:
            yield sse("error", {"status": code, "detail": str(exc)})
        else:
            log.exception("streamed answer failed")
            yield sse("error", {"status": code, "detail": f"the answer failed: {type(exc).__name__}"})


SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def wants_stream(accept: str | None) -> bool:
    return "text/event-stream" in (accept or "")
