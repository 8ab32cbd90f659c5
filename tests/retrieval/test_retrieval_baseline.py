"""The naive llama-index baseline builds with kefu's embedder (no OpenAI default) and retrieves."""

from __future__ import annotations

from assistant.retrieval.baseline import BaselineDocument, KefuEmbedding, NaiveLlamaIndexRetriever
from ingest.config import Settings
from ingest.db import open_database
from ingest.embedding import get_embedder
from ingest.registry import text_hash
from ingest.vector_cache import SQLVectorCache


def test_baseline_builds_retrieves_and_caches_vectors(fresh_settings: Settings) -> None:
    embedder = get_embedder(fresh_settings)
    cache = SQLVectorCache(open_database(fresh_settings.sql_url), embedder.name)
    documents = [
        BaselineDocument("returns", "You can return any item within 30 days of delivery.", "Returns"),
        BaselineDocument("shipping", "Standard shipping takes 3 to 5 business days.", "Shipping"),
        BaselineDocument("zh-hub", "长按网关背面的重置按钮十秒，网关恢复出厂设置。", "网关"),
    ]
    baseline = NaiveLlamaIndexRetriever(documents, KefuEmbedding(embedder, cache))
    hits = baseline.run("how long does delivery take?", top_k=2)
    assert [h.source for h in hits][0] == "shipping" and hits[0].n == 1 and len(hits) == 2
    assert baseline.run("网关如何重置", top_k=1)[0].source == "zh-hub"

    # Node texts (with llama-index's metadata header) are cached by hash: a rebuild embeds nothing.
    node_texts = [n.get_content(metadata_mode="embed") for n in baseline.index.docstore.docs.values()]
    assert len(cache.get(text_hash(t) for t in node_texts)) == len(documents)
