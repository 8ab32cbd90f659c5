"""Running the answer pipeline for a conversation, and shaping its results for the routes."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from fastapi import HTTPException, status
from starlette.concurrency import run_in_threadpool

from api.schemas import AnswerOut, CitationOut, MessageOut, SourceOut
from api.services import Services
from assistant.models import ChatMessage, Conversation

log = logging.getLogger("kefu.api")


def answer_request(conversation: Conversation, text: str) -> Any:
    from assistant.pipeline import AnswerRequest

    return AnswerRequest(
        question=text, kb=conversation.kb_name, conversation_id=conversation.id, channel=conversation.channel,
        user_id=conversation.user_id, user_profile=dict(conversation.user_profile or {}),
    )


def _kb_gone(exc: Exception) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, str(exc))


async def answer(svc: Services, request: Any) -> Any:
    """AnswerPipeline.run off the event loop; a knowledge base deleted meanwhile is a 404."""
    from ingest.registry import KnowledgeBaseNotFound

    pipeline = await run_in_threadpool(svc.answers)
    try:
        return await run_in_threadpool(pipeline.run, request)
    except KnowledgeBaseNotFound as exc:
        raise _kb_gone(exc) from exc


def answer_out(data: dict[str, Any]) -> AnswerOut:
    """From answer_to_dict(AnswerResult) (the pipeline's "final" event carries the same dict)."""
    return AnswerOut(
        message_id=data["message_id"], session_id=data["conversation_id"], text=data["text"], mode=data["mode"],
        lang=data["lang"], refused=data["mode"] == "refused",
        citations=[CitationOut(**c) for c in data["citations"]], timings_ms=data["timings_ms"],
        model=data.get("model"),
    )


def result_out(result: Any) -> AnswerOut:
    from assistant.pipeline import answer_to_dict

    return answer_out(answer_to_dict(result))


def source_out(passage: dict[str, Any]) -> SourceOut:
    return SourceOut(
        n=passage["n"], chunk_id=passage["chunk_id"], doc_id=passage["doc_id"], title=passage["title"],
        source=passage["source"], url=passage["url"], page=passage["page"], kind=passage["kind"],
        score=passage["score"], snippet=passage["text"][:240],
    )


def message_out(message: ChatMessage) -> MessageOut:
    return MessageOut(
        id=message.id, seq=message.seq, role=message.role, content=message.content, mode=message.mode,
        citations=list(message.citations or []), author=message.author, created_at=message.created_at,
    )


def sse(event: str, data: Any) -> bytes:
    """One server-sent event; the JSON is on one line (newlines inside strings are escaped)."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False, default=str)}\n\n".encode()


async def stream_answer(svc: Services, request: Any) -> AsyncIterator[bytes]:
    """AnswerPipeline.astream as SSE: `sources`, `token`*, optional `replace` (the streamed text
    failed a check; show this text instead), `final` (the recorded answer; its text is the one
    to keep), or `error`."""
    from ingest.registry import KnowledgeBaseNotFound

    try:
        pipeline = await run_in_threadpool(svc.answers)
        async for event in pipeline.astream(request):
            kind = event["type"]
            if kind == "sources":
                yield sse("sources", {"sources": [source_out(p).model_dump() for p in event["passages"]]})
            elif kind in ("token", "replace"):
                yield sse(kind, {"text": event["text"]})
            elif kind == "final":
                yield sse("final", answer_out(event["answer"]).model_dump(mode="json"))
    except KnowledgeBaseNotFound as exc:
        yield sse("error", {"status": 404, "detail": str(exc)})
    except Exception as exc:  # headers are sent: the stream itself must carry the failure
        log.exception("streamed answer failed")
        yield sse("error", {"status": 500, "detail": f"the answer failed: {type(exc).__name__}"})


SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def wants_stream(accept: str | None) -> bool:
    return "text/event-stream" in (accept or "")
