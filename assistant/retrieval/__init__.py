"""Retrieval: BM25 + dense search over a knowledge base, fused into cited passages.

from assistant.retrieval import HybridRetriever, RetrievalFilters
result = HybridRetriever(settings).run("how long do returns take?", kb="help", top_k=5)
"""

from assistant.retrieval.fusion import LiteLLMReranker, Reranker, RerankError
from assistant.retrieval.retriever import HybridRetriever
from assistant.retrieval.types import RankedList, RetrievalFilters, RetrievalResult, ScoredChunk

__all__ = [
    "HybridRetriever",
    "LiteLLMReranker",
    "RankedList",
    "RerankError",
    "Reranker",
    "RetrievalFilters",
    "RetrievalResult",
    "ScoredChunk",
]
