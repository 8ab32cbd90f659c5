"""LLMClient: the one way kefu calls an LLM (litellm, configured model + fallbacks, one error type).

litellm is imported on first use, not at import time: it takes seconds to import and most
callers (API start-up, CLI) do not need it yet.

Timeout: `timeout` (default settings.llm_timeout_s) bounds each model attempt. Hosted models are
bounded by litellm's HTTP client; the local model by its provider (see assistant.llm.local), which
returns control at the deadline even while llama.cpp is busy. With fallbacks configured, litellm
tries them in turn, each with the same timeout. `astream` bounds the whole stream by the timeout.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from assistant.types import Message
from ingest.config import Settings, get_settings
from ingest.errors import Unavailable

ChatMessage = Message | dict[str, str]


@dataclass
class LLMReply:
    text: str
    model: str  # the model that answered (a fallback when the primary failed)
    prompt_tokens: int
    completion_tokens: int
    latency_ms: float
    finish_reason: str | None = None  # "stop" | "length" | provider-specific


class LLMError(Unavailable):
    """Any failure to get an answer from the LLM; callers fall back (e.g. to the extractive answer)."""

    def __init__(self, message: str, *, model: str, timed_out: bool = False) -> None:
        super().__init__(message)
        self.model = model
        self.timed_out = timed_out


_setup_lock = threading.Lock()
_litellm_ready = False


def _litellm(settings: Settings) -> Any:
    """litellm, imported on first use, with the in-process local provider registered."""
    global _litellm_ready
    import litellm

    from assistant.llm.local import register_local_provider

    with _setup_lock:
        if not _litellm_ready:
            litellm.suppress_debug_info = True  # no "Give Feedback / Get Help" banners in our logs
            _litellm_ready = True
        register_local_provider(settings)
    return litellm


def _to_dicts(messages: Sequence[ChatMessage]) -> list[dict[str, str]]:
    result = []
    for m in messages:
        role, content = (m.role, m.content) if isinstance(m, Message) else (m["role"], m["content"])
        # A human agent's reply is an assistant turn from the model's point of view.
        result.append({"role": "assistant" if role == "agent" else role, "content": content})
    return result


def _is_timeout(exc: BaseException) -> bool:
    import litellm

    # litellm's fallback loop re-raises a plain Exception carrying the last error's message, so
    # the type is lost when fallbacks are configured; the message keeps the "litellm.Timeout" tag.
    return isinstance(exc, (litellm.Timeout, TimeoutError)) or "litellm.Timeout" in str(exc)


class LLMClient:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self.model = self.settings.llm_model

    def complete(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
        timeout: float | None = None,
        stop: list[str] | None = None,
    ) -> LLMReply:
        litellm = _litellm(self.settings)
        started = time.perf_counter()
        try:
            response = litellm.completion(**self._arguments(messages, max_tokens, temperature, timeout, stop))
        except Exception as exc:
            raise self._error(exc) from exc
        return self._reply(response, started)

    async def acomplete(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
        timeout: float | None = None,
        stop: list[str] | None = None,
    ) -> LLMReply:
        litellm = _litellm(self.settings)
        started = time.perf_counter()
        try:
            response = await litellm.acompletion(
                **self._arguments(messages, max_tokens, temperature, timeout, stop)
            )
        except Exception as exc:
            raise self._error(exc) from exc
        return self._reply(response, started)

    async def astream(
        self,
        messages: Sequence[ChatMessage],
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
        timeout: float | None = None,
        stop: list[str] | None = None,
    ) -> AsyncIterator[str]:
        """Text pieces as the model produces them; the whole stream ends by the timeout."""
        litellm = _litellm(self.settings)
        arguments = self._arguments(messages, max_tokens, temperature, timeout, stop)
        deadline = time.monotonic() + arguments["timeout"]
        try:
            stream = await asyncio.wait_for(
                litellm.acompletion(stream=True, **arguments), arguments["timeout"]
            )
            chunks = stream.__aiter__()
            while True:
                try:
                    # wait_for per chunk, not asyncio.timeout around the loop: a timeout scope must
                    # not stay open across a yield to the consumer.
                    chunk = await asyncio.wait_for(anext(chunks), max(0.0, deadline - time.monotonic()))
                except StopAsyncIteration:
                    return
                text = chunk.choices[0].delta.content if chunk.choices else None
                if text:
                    yield text
        except Exception as exc:
            raise self._error(exc) from exc

    def _arguments(
        self,
        messages: Sequence[ChatMessage],
        max_tokens: int | None,
        temperature: float | None,
        timeout: float | None,
        stop: list[str] | None,
    ) -> dict[str, Any]:
        s = self.settings
        arguments: dict[str, Any] = {
            "model": self.model,
            "messages": _to_dicts(messages),
            "max_tokens": max_tokens if max_tokens is not None else s.llm_max_tokens,
            "temperature": temperature if temperature is not None else s.llm_temperature,
            "timeout": timeout if timeout is not None else s.llm_timeout_s,
            # One try per model: the provider SDK's own retries (openai's: 2) made a slow endpoint
            # cost 3 timeouts per model; the fallbacks, then the extractive answer, are the retry.
            "max_retries": 0,
        }
        if stop:
            arguments["stop"] = stop
        if s.llm_api_base:
            arguments["api_base"] = s.llm_api_base
        if s.llm_api_key:
            arguments["api_key"] = s.llm_api_key
        if s.llm_fallbacks:
            # api_base/api_key belong to the primary model: fallbacks use their providers' own
            # defaults (environment variables such as DEEPSEEK_API_KEY).
            arguments["fallbacks"] = [
                {"model": m, "api_base": None, "api_key": None} for m in s.llm_fallbacks
            ]
        return arguments

    def _reply(self, response: Any, started: float) -> LLMReply:
        choice = response.choices[0]
        usage = getattr(response, "usage", None)
        return LLMReply(
            text=(choice.message.content or "").strip(),
            model=response.model or self.model,
            prompt_tokens=getattr(usage, "prompt_tokens", 0) or 0,
            completion_tokens=getattr(usage, "completion_tokens", 0) or 0,
            latency_ms=(time.perf_counter() - started) * 1000,
            finish_reason=choice.finish_reason,
        )

    def _error(self, exc: BaseException) -> LLMError:
        if isinstance(exc, LLMError):
            return exc
        timed_out = _is_timeout(exc)
        kind = "timed out" if timed_out else "failed"
        return LLMError(
            f"LLM {self.model} {kind}: {type(exc).__name__}: {exc}", model=self.model, timed_out=timed_out
        )
