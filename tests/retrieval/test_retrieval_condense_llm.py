"""The condenser's LLM path with a capable (hosted) model: an OpenAI-compatible chat endpoint on
loopback stands in for it; when the call fails the follow-up rule answers instead."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from assistant.condense import QueryCondenser
from assistant.types import Message
from ingest.config import Settings

REWRITE = "How long do Plus members have to return an item?"


def _chat(path: str, body: dict[str, Any]) -> dict[str, Any] | None:
    """An OpenAI-compatible chat completion that always rewrites to REWRITE; a last message
    containing "fail" gets HTTP 500."""
    last = body["messages"][-1]["content"]
    if "fail" in last:
        return None
    # The prompt must carry the conversation and the follow-up (else HTTP 500: the test fails).
    assert "How long do I have to return an item?" in last and "what about members?" in last
    return {
        "id": "test",
        "object": "chat.completion",
        "created": 0,
        "model": body["model"],
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": REWRITE + "\n"}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
    }


@pytest.fixture(scope="module")
def chat_url(loopback: Callable[..., str]) -> str:
    return loopback(_chat) + "/v1"


HISTORY = [Message("user", "How long do I have to return an item?"), Message("assistant", "30 days [1].")]


def test_capable_model_rewrites_the_follow_up(chat_url: str) -> None:
    settings = Settings(
        llm_model="openai/hosted-chat", llm_api_base=chat_url, llm_api_key="k", llm_timeout_s=10
    )
    condenser = QueryCondenser(settings)
    assert condenser.client is not None
    result = condenser.run("what about members?", HISTORY)
    assert (result.method, result.query) == ("llm", REWRITE)
    # No earlier question: nothing to rewrite, no call.
    assert condenser.run("what about members?", []).method == "unchanged"


def test_llm_failure_falls_back_to_the_rule(chat_url: str) -> None:
    settings = Settings(
        llm_model="openai/hosted-chat",
        llm_api_base=chat_url,
        llm_api_key="k",
        llm_timeout_s=10,
        llm_fallbacks=[],
    )
    result = QueryCondenser(settings).run("and if it fails?", HISTORY)
    assert result.method == "rule"
    assert result.query == "and if it fails? (previous: How long do I have to return an item)"
