"""The naive llama-index baseline the benchmark compares kefu's retrieval against.

What a first RAG prototype does: `VectorStoreIndex.from_documents` with llama-index's defaults
(its default SentenceSplitter, 1024-token chunks with 200 overlap; document metadata embedded with
the text; in-memory vector store; cosine top-k), using the same embedder as kefu so the comparison
is about the retrieval design, not the model. The embedder is passed explicitly and no LLM is
used, so llama-index never reaches for its OpenAI defaults.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from assistant.types import Passage, PassageScores
from ingest.embedding import Embedder
from ingest.vector_cache import SQLVectorCache


class KefuEmbedding(BaseEmbedding):
    """A kefu Embedder as a llama-index embedding model (query and passage prefixes kept apart)."""

    _embedder: Embedder = PrivateAttr()
    _cache: SQLVectorCache | None = PrivateAttr(default=None)

    def __init__(self, embedder: Embedder, cache: SQLVectorCache | None = None, **kwargs: Any) -> None:
        super().__init__(model_name=embedder.name, **kwargs)
        self._embedder = embedder
        self._cache = cache

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._embedder.embed_query(query).tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embeddings([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        if self._cache is None:
            return self._embedder.embed_passages(texts).tolist()
        vectors, _ = self._cache.vectors(texts, self._embedder.embed_passages)
        return vectors.tolist()


@dataclass
class BaselineDocument:
    doc_id: str
    text: str
    title: str = ""


class NaiveLlamaIndexRetriever:
    name = "llama-index"

    def __init__(self, documents: Sequence[BaselineDocument], embed_model: BaseEmbedding) -> None:
        from llama_index.core import Document, VectorStoreIndex

        self.index = VectorStoreIndex.from_documents(
            [
                Document(text=d.text, id_=d.doc_id, metadata={"title": d.title} if d.title else {})
                for d in documents
            ],
            embed_model=embed_model,
            show_progress=False,
        )

    def run(self, query: str, top_k: int = 5) -> list[Passage]:
        nodes = self.index.as_retriever(similarity_top_k=top_k).retrieve(query)
        return [
            Passage(
                chunk_id=hit.node.node_id,
                doc_id=hit.node.ref_doc_id or "",
                source=hit.node.ref_doc_id or "",
                text=hit.node.get_content(),
                title=str(hit.node.metadata.get("title", "")),
                scores=PassageScores(
                    fused=float(hit.score or 0.0), dense=float(hit.score or 0.0), dense_rank=number
                ),
                n=number,
            )
            for number, hit in enumerate(nodes, 1)
        ]
