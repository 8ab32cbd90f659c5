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
from typing import Any

from ragas.embeddings.base import BaseRagasEmbedding

from ingest.config import Settings
from ingest.embedding import Embedder, get_embedder


def make_llm(
    model: str,
    *,
    base_url: str | None,
    api_key: str | None,
    timeout_s: float,
    settings: Settings,
) -> Any:
    from ragas.llms import llm_factory

    if base_url:
        from openai import AsyncOpenAI

        client = AsyncOpenAI(
            base_url=base_url,
            # Local servers ignore the key but the client insists on one.
            api_key=api_key or os.environ.get("OPENAI_API_KEY") or "unused",
            timeout=timeout_s,
            max_retries=1,
        )
        return llm_factory(model, provider="openai", client=client)
    import litellm

    if model.startswith("kefu-local/"):
        from assistant.llm.local import register_local_provider

        register_local_provider(settings)
    extra = {"api_key": api_key} if api_key else {}
    return llm_factory(
        model, provider="litellm", client=litellm.acompletion, adapter="instructor",
        timeout=timeout_s, **extra,
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
