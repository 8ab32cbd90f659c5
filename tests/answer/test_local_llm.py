"""The packaged SmolLM2 GGUF through litellm, for real: no fake model in this file."""

from __future__ import annotations


import pytest

from assistant.llm import LLMClient, LLMError
from ingest.config import Settings

pytestmark = pytest.mark.slow

QUESTION = [{"role": "user", "content": "What colour is the sky on a clear day? Answer in one sentence."}]
LONG_TASK = [{"role": "user", "content": "Write a very long story about a cat who travels around the world."}]


def test_complete_returns_text_usage_and_timing(local_settings: Settings) -> None:
    reply = LLMClient(local_settings).complete(QUESTION, max_tokens=24)
    assert reply.text
    assert reply.model == "kefu-local/smollm2-135m-instruct"
    assert reply.prompt_tokens > 10 and 0 < reply.completion_tokens <= 24
    assert reply.finish_reason in ("stop", "length")
    assert reply.latency_ms > 0


def test_it_is_a_litellm_provider_with_sync_streaming(local_settings: Settings) -> None:
    import litellm

    LLMClient(local_settings).complete(QUESTION, max_tokens=1)  # registers the provider
    stream = litellm.completion(
        model="kefu-local/smollm2-135m-instruct", messages=QUESTION, max_tokens=16, stream=True, timeout=30
    )
    pieces = [chunk.choices[0].delta.content for chunk in stream if chunk.choices[0].delta.content]
    assert len(pieces) > 1


async def test_astream_yields_tokens(local_settings: Settings) -> None:
    pieces = [piece async for piece in LLMClient(local_settings).astream(QUESTION, max_tokens=16)]
    assert len(pieces) > 1 and "".join(pieces).strip()


async def test_acomplete(local_settings: Settings) -> None:
    reply = await LLMClient(local_settings).acomplete(QUESTION, max_tokens=16)
    assert reply.text and reply.completion_tokens > 0


# How long a timed-out call takes is a benchmark figure, not asserted here (the CI machine is shared): these
# tests check that the deadline stops the call with a timed-out LLMError and frees the model.
def test_tiny_timeout_raises_and_frees_the_model(local_settings: Settings) -> None:
    client = LLMClient(local_settings)
    with pytest.raises(LLMError) as error:
        client.complete(LONG_TASK, max_tokens=400, timeout=0.05)
    assert error.value.timed_out
    assert client.complete(QUESTION, max_tokens=8).text  # the worker stopped and released the model


def test_timeout_during_generation_stops_it(local_settings: Settings) -> None:
    client = LLMClient(local_settings)
    client.complete(QUESTION, max_tokens=1)  # model loaded, so the deadline falls in generation
    with pytest.raises(LLMError) as error:
        client.complete(LONG_TASK, max_tokens=1000, temperature=0.8, timeout=0.8)
    assert error.value.timed_out
    assert client.complete(QUESTION, max_tokens=8).text


async def test_stream_timeout_raises_llm_error(local_settings: Settings) -> None:
    with pytest.raises(LLMError) as error:
        async for _ in LLMClient(local_settings).astream(LONG_TASK, max_tokens=1000, timeout=0.5):
            pass
    assert error.value.timed_out


def test_prompt_larger_than_the_context_window_is_an_llm_error(local_settings: Settings) -> None:
    small = local_settings.model_copy(update={"llm_context_tokens": 256})
    with pytest.raises(LLMError) as error:
        LLMClient(small).complete([{"role": "user", "content": "word " * 400}], max_tokens=8)
    assert not error.value.timed_out
    assert "context window" in str(error.value)


def test_unknown_local_model_is_an_llm_error(local_settings: Settings) -> None:
    missing = local_settings.model_copy(update={"llm_model": "kefu-local/no-such-model"})
    with pytest.raises(LLMError, match="unknown local model"):
        LLMClient(missing).complete(QUESTION, max_tokens=8)
