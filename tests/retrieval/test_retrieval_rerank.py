"""A reranker plugs in by configuration: litellm.rerank against a Cohere-style HTTP endpoint on
loopback (a stand-in for a self-hosted rerank server); a failing reranker keeps the fused order."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from assistant.retrieval import HybridRetriever
from ingest.config import RetrievalSettings, Settings

KB = "help"


def _rerank(path: str, body: dict[str, Any]) -> dict[str, Any] | None:
    """POST /v1/rerank or /v2/rerank (litellm picks by model): ranks the documents shortest first
    (an order fusion would never give); a query containing "fail" gets HTTP 500."""
    if path not in ("/v1/rerank", "/v2/rerank") or "fail" in body["query"]:
        return None
    order = sorted(range(len(body["documents"])), key=lambda i: len(str(body["documents"][i])))
    results = [{"index": i, "relevance_score": 1.0 / (rank + 1)} for rank, i in enumerate(order)]
    return {"id": "test", "results": results[: body.get("top_n") or len(results)]}


@pytest.fixture(scope="module")
def rerank_url(loopback: Callable[..., str]) -> str:
    return loopback(_rerank)


def test_configured_reranker_reorders_passages(kb_settings: Settings, rerank_url: str) -> None:
    retrieval = RetrievalSettings(
        rerank_model="cohere/rerank-english-v3.0", rerank_api_base=rerank_url, rerank_api_key="test-key"
    )
    result = HybridRetriever(kb_settings, retrieval=retrieval).run("how long to return an item", KB, top_k=4)
    lengths = [len(p.text) for p in result.passages]
    assert lengths == sorted(lengths) and result.warnings == []
    assert [p.scores.rerank for p in result.passages] == [1.0, 0.5, pytest.approx(1 / 3), 0.25]
    assert [p.n for p in result.passages] == [1, 2, 3, 4]


def test_failing_reranker_keeps_fused_order(kb_settings: Settings, rerank_url: str) -> None:
    retrieval = RetrievalSettings(
        rerank_model="cohere/rerank-english-v3.0", rerank_api_base=rerank_url, rerank_api_key="k"
    )
    result = HybridRetriever(kb_settings, retrieval=retrieval).run("fail: return an item", KB, top_k=3)
    assert result.warnings and "rerank" in result.warnings[0]
    fused = [p.score for p in result.passages]
    assert fused == sorted(fused, reverse=True) and all(p.scores.rerank is None for p in result.passages)
