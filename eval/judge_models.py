"""The LLM and embeddings Ragas uses for judged metrics and test-set generation.

Imported lazily (ragas, openai and litellm take seconds). The LLM is Ragas' structured-output LLM
from `ragas.llms.llm_factory`: with a base URL, any OpenAI-compatible server (llama.cpp server,
vLLM, Ollama, a hosted API) through `openai.AsyncOpenAI`; without, a litellm model name
("deepseek/deepseek-chat", "openai/gpt-4o-mini", kefu's in-process "kefu-local/..."), through
`litellm.acompletion`. Embeddings are kefu's own embedder, so nothing is downloaded.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any, TypeVar

from pydantic import BaseModel
from ragas.embeddings.base import BaseRagasEmbedding
from ragas.llms.base import InstructorLLM

from ingest.config import Settings
from ingest.embedding import Embedder, get_embedder

ResponseModel = TypeVar("ResponseModel", bound=BaseModel)


def make_llm(
    model: str,
    *,
    base_url: str | None,
    api_key: str | None,
    timeout_s: float,
    settings: Settings,
    max_tokens: int | None = None,
    retries: int | None = None,
    schema_grammar: bool = False,
) -> Any:
    """Ragas' structured-output LLM for `model`. max_tokens caps each reply and retries the
    re-asks after an unparsable one (None: Ragas' and instructor's defaults). schema_grammar
    (with a base URL only): constrain each reply to its JSON schema, see SchemaGrammarLLM."""
    from ragas.llms import llm_factory

    # Sent with every call: Ragas puts them in the request (max_tokens) or hands them to
    # instructor (max_retries).
    call_args: dict[str, Any] = {}
    if max_tokens is not None:
        call_args["max_tokens"] = max_tokens
    if retries is not None:
        call_args["max_retries"] = retries

    if base_url:
        from openai import AsyncOpenAI

        client = AsyncOpenAI(
            base_url=base_url,
            # Local servers ignore the key but the client insists on one.
            api_key=api_key or os.environ.get("OPENAI_API_KEY") or "unused",
            timeout=timeout_s,
            max_retries=1,
        )
        if schema_grammar:
            return SchemaGrammarLLM.create(client, model, **call_args)
        return llm_factory(model, provider="openai", client=client, **call_args)
    import litellm

    if model.startswith("kefu-local/"):
        from assistant.llm.local import register_local_provider

        register_local_provider(settings)
    extra: dict[str, Any] = {"api_key": api_key} if api_key else {}
    return llm_factory(
        model,
        provider="litellm",
        client=litellm.acompletion,
        adapter="instructor",
        timeout=timeout_s,
        **extra,
        **call_args,
    )


class SchemaGrammarLLM(InstructorLLM):
    """Ragas' instructor LLM whose every request also carries the reply's JSON schema as
    `response_format: {"type": "json_object", "schema": ...}`, which llama-cpp-python's server
    compiles into a grammar: a small local judge then cannot answer with JSON of the wrong shape
    (unconstrained, SmolLM2-135M mostly echoes the schema back). Only for servers that accept
    that field (llama-cpp-python's); hosted APIs may reject it.
    """

    @classmethod
    def create(cls, client: Any, model: str, **model_args: Any) -> SchemaGrammarLLM:
        import instructor

        return cls(
            client=instructor.from_openai(client, mode=instructor.Mode.JSON),
            model=model,
            provider="openai",
            **model_args,
        )

    async def agenerate(self, prompt: str, response_model: type[ResponseModel]) -> ResponseModel:
        messages = [{"role": "system", "content": self.system_prompt}] if self.system_prompt else []
        messages.append({"role": "user", "content": prompt})
        response_format = {"type": "json_object", "schema": response_model.model_json_schema()}
        # instructor sets response_format to plain json_object; extra_body overrides it in the body.
        return await self.client.chat.completions.create(
            model=self.model,
            messages=messages,
            response_model=response_model,
            extra_body={"response_format": response_format},
            **self._map_provider_params(),
        )


class KefuEmbedding(BaseRagasEmbedding):
    """kefu's configured embedder (the packaged E5 model by default) as a Ragas embedding.

    Ragas compares questions with questions (AnswerRelevancy) and chunks with chunks (test-set
    generation), so one side of E5's query/passage asymmetry is used for both: the query form.
    """

    def __init__(self, embedder: Embedder) -> None:
        super().__init__()
        self.embedder = embedder

    def embed_text(self, text: str, **kwargs: Any) -> list[float]:
        return [float(x) for x in self.embedder.embed_query(text)]

    async def aembed_text(self, text: str, **kwargs: Any) -> list[float]:
        return await asyncio.to_thread(self.embed_text, text)


def make_embeddings(settings: Settings) -> KefuEmbedding:
    return KefuEmbedding(get_embedder(settings))
