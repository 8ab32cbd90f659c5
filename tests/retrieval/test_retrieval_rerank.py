"""A reranker plugs in by configuration: litellm.rerank against a Cohere-style HTTP endpoint on
loopback (a stand-in for a self-hosted rerank server); a failing reranker keeps the fused order."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from assistant.retrieval import HybridRetriever
from assistant.retrieval.config import RetrievalSettings
from ingest.config import Settings

KB = "help"


class _Rerank(BaseHTTPRequestHandler):
    """POST /v1/rerank or /v2/rerank (litellm picks by model): ranks the documents shortest first (an order fusion would never give)."""

    def do_POST(self) -> None:  # noqa: N802 (http.server API)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.path not in ("/v1/rerank", "/v2/rerank") or "fail" in body["query"]:
            self.send_response(500)
            self.end_headers()
            return
        order = sorted(range(len(body["documents"])), key=lambda i: len(str(body["documents"][i])))
        results = [{"index": i, "relevance_score": 1.0 / (rank + 1)} for rank, i in enumerate(order)]
        payload = json.dumps({"id": "test", "results": results[: body.get("top_n") or len(results)]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def rerank_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Rerank)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_configured_reranker_reorders_passages(kb_settings: Settings, rerank_url: str) -> None:
    retrieval = RetrievalSettings(
        rerank_model="cohere/rerank-english-v3.0", rerank_api_base=rerank_url, rerank_api_key="test-key"
    )
    result = HybridRetriever(kb_settings, retrieval=retrieval).run("how long to return an item", KB, top_k=4)
    lengths = [len(p.text) for p in result.passages]
    assert lengths == sorted(lengths) and result.warnings == []
    assert [p.scores["rerank"] for p in result.passages] == [1.0, 0.5, pytest.approx(1 / 3), 0.25]
    assert [p.n for p in result.passages] == [1, 2, 3, 4]


def test_failing_reranker_keeps_fused_order(kb_settings: Settings, rerank_url: str) -> None:
    retrieval = RetrievalSettings(rerank_model="cohere/rerank-english-v3.0", rerank_api_base=rerank_url, rerank_api_key="k")
    result = HybridRetriever(kb_settings, retrieval=retrieval).run("fail: return an item", KB, top_k=3)
    assert result.warnings and "rerank" in result.warnings[0]
    fused = [p.score for p in result.passages]
    assert fused == sorted(fused, reverse=True) and all("rerank" not in p.scores for p in result.passages)
