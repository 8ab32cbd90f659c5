"""OpenAI-compatible Chat Completions: point any OpenAI client at kefu, with model = knowledge base.

The last user message is the question; earlier user/assistant messages are the history (system
messages are ignored: the knowledge base, not the caller, decides what the assistant says).
Each call is recorded as a conversation on channel "openai"; the completion id is
"chatcmpl-<session id>", and the extension field `kefu` gives the message id (for feedback) and
answer mode, next to `citations`.

Streaming sends the role chunk at once and the content once the answer has passed its checks:
a streamed draft can still fail the grounding check (kefu's own SSE ends with the decided reply
in its `final` event), and the OpenAI stream cannot retract text, so it only ever carries the
decided reply.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.responses import StreamingResponse
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from api.answers import SSE_HEADERS, answer, result_out
from api.auth import Principal
from api.chat_limits import check_history, check_message
from api.errors import openai_error_body, status_for
from api.deps import CHAT, load_kb, require, services
from api.openai_schemas import (
    AssistantMessage,
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionRequest,
    Choice,
    ChunkChoice,
    Delta,
    KefuExtension,
    ModelList,
    ModelOut,
    Usage,
)
from api.schemas import AnswerOut, Key
from api.services import Services
from assistant.models import Conversation
from ingest.errors import KefuError
from ingest.models import KnowledgeBase

router = APIRouter(prefix="/v1", tags=["openai-compatible"])

Chatter = Annotated[Principal, Depends(require(*CHAT))]
Svc = Annotated[Services, Depends(services)]

OPENAI_PATHS = ("/v1/chat/", "/v1/models")
_PIECES = re.compile(r"\S{1,24}\s*|\s+")  # stream content in word-sized pieces


def _conversation(svc: Services, who: Principal, model: str, user: str | None) -> Conversation:
    with svc.db.session() as session:
        kb = load_kb(session, who, model)
        row = Conversation(
            kb_name=kb.name,
            tenant=who.tenant,
            channel="openai",
            user_id=user,
            user_profile={"api_key_id": who.key_id},
        )
        session.add(row)
        session.flush()
        return row


def _split(body: ChatCompletionRequest) -> tuple[str, list[Any]]:
    from assistant.types import Message

    if body.n != 1:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "n must be 1")
    last = body.messages[-1]
    if last.role != "user" or not last.text().strip():
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "the last message must be a non-empty user message")
    history = [
        Message(role=m.role, content=m.text()) for m in body.messages[:-1] if m.role in ("user", "assistant")
    ]
    return last.text(), history


def _usage(answer_out: AnswerOut, question: str, result: Any) -> Usage:
    from ingest.text import count_tokens

    prompt = result.prompt_tokens or count_tokens(question)
    completion = result.completion_tokens or count_tokens(answer_out.text)
    return Usage(prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion)


@router.post("/chat/completions", response_model=ChatCompletion)
async def chat_completions(
    body: ChatCompletionRequest, who: Chatter, svc: Svc
) -> ChatCompletion | StreamingResponse:
    from assistant.pipeline import AnswerRequest

    question, history = _split(body)
    check_message(svc.settings, question)
    check_history(svc.settings, [m.content for m in history])
    conversation = await run_in_threadpool(_conversation, svc, who, body.model, body.user)
    request = AnswerRequest(
        question=question,
        kb=conversation.kb_name,
        conversation_id=conversation.id,
        history=history,
        channel="openai",
        user_id=body.user,
    )
    created = int(time.time())
    if body.stream:
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        return StreamingResponse(
            _stream(svc, request, body.model, created, question, include_usage),
            media_type="text/event-stream",
            headers=SSE_HEADERS,
        )
    result = await answer(svc, request)
    out = result_out(result)
    return ChatCompletion(
        id=f"chatcmpl-{conversation.id}",
        created=created,
        model=body.model,
        choices=[Choice(message=AssistantMessage(content=out.text))],
        usage=_usage(out, question, result),
        citations=out.citations,
        kefu=_extension(out),
    )


def _extension(out: AnswerOut) -> KefuExtension:
    return KefuExtension(session_id=out.session_id, message_id=out.message_id, mode=out.mode)


def _data(chunk: ChatCompletionChunk | str) -> bytes:
    if isinstance(chunk, str):
        return f"data: {chunk}\n\n".encode()
    # OpenAI's chunks leave unset delta fields out and carry usage only when asked for it.
    data = chunk.model_dump(mode="json")
    for key in ("usage", "citations", "kefu"):
        if data[key] is None:
            del data[key]
    for choice in data["choices"]:
        choice["delta"] = {k: v for k, v in choice["delta"].items() if v is not None}
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


async def _stream(
    svc: Services, request: Any, model: str, created: int, question: str, include_usage: bool
) -> AsyncIterator[bytes]:
    chunk_id = f"chatcmpl-{request.conversation_id}"

    def chunk(delta: Delta, finish: bool = False, **extra: Any) -> ChatCompletionChunk:
        return ChatCompletionChunk(
            id=chunk_id,
            created=created,
            model=model,
            choices=[ChunkChoice(delta=delta, finish_reason="stop" if finish else None)],
            **extra,
        )

    yield _data(chunk(Delta(role="assistant", content="")))
    try:
        result = await answer(svc, request)
    except KefuError as exc:  # headers are sent: the stream carries the error
        yield _data(json.dumps(openai_error_body(status_for(exc), str(exc)), ensure_ascii=False))
        return
    out = result_out(result)
    for piece in _PIECES.findall(out.text):
        yield _data(chunk(Delta(content=piece)))
    yield _data(chunk(Delta(), finish=True, citations=out.citations, kefu=_extension(out)))
    if include_usage:
        yield _data(
            ChatCompletionChunk(
                id=chunk_id, created=created, model=model, choices=[], usage=_usage(out, question, result)
            )
        )
    yield _data("[DONE]")


def _models(svc: Services, who: Principal) -> list[KnowledgeBase]:
    with svc.db.session() as session:
        query = (
            select(KnowledgeBase)
            .where(KnowledgeBase.tenant == who.tenant, KnowledgeBase.deleted_at.is_(None))  # not in the trash
            .order_by(KnowledgeBase.name)
        )
        if who.kbs:
            query = query.where(KnowledgeBase.name.in_(who.kbs))
        return list(session.scalars(query))


def _model_out(kb: KnowledgeBase) -> ModelOut:
    return ModelOut(id=kb.name, created=int(kb.created_at.timestamp()), owned_by=kb.tenant)


@router.get("/models", response_model=ModelList)
def list_models(who: Chatter, svc: Svc) -> ModelList:
    """The key's knowledge bases, as models."""
    return ModelList(data=[_model_out(kb) for kb in _models(svc, who)])


@router.get("/models/{model}", response_model=ModelOut)
def get_model(model: Key, who: Chatter, svc: Svc) -> ModelOut:
    with svc.db.session() as session:
        return _model_out(load_kb(session, who, model))
