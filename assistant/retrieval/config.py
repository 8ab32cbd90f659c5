"""Settings of the retrieval side (retrieve, condense, decide): KEFU_ environment variables, like
ingest.config.Settings. Defaults are the values measured best by eval/bench_retrieval.py."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

from assistant.retrieval import fusion


class RetrievalSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KEFU_", env_file=".env", extra="ignore")

    # Fusion of the BM25, dense and title rankings (see assistant/retrieval/fusion.py for the measurements).
    fusion_method: Literal["rrf", "score"] = fusion.DEFAULT_METHOD
    bm25_weight: float = fusion.DEFAULT_WEIGHTS["bm25"]
    dense_weight: float = fusion.DEFAULT_WEIGHTS["dense"]
    title_weight: float = fusion.DEFAULT_WEIGHTS["title"]
    rrf_k: float = fusion.DEFAULT_RRF_K
    faq_boost: float = fusion.DEFAULT_FAQ_BOOST
    # Candidates each retriever contributes to fusion; only these can reach the answer.
    retrieval_candidates: int = 50
    # At most this many chunks of one document among the passages returned first (its best ones;
    # the rest follow all other documents' chunks), so top_k is not filled with neighbouring
    # chunks of one document. FAQ pairs are exempt: each is an answer of its own. 0 = no limit.
    max_chunks_per_document: int = fusion.DEFAULT_CHUNKS_PER_DOCUMENT
    # The same for the question-answer pairs of one FAQ file (each pair is an answer of its own, but
    # ten pairs of one sheet, a Chinese one and its English twin, crowded the page holding the
    # answer out of the top 10 on the help-centre benchmark). 0 = no limit.
    max_faq_pairs_per_document: int = fusion.DEFAULT_FAQ_PAIRS_PER_DOCUMENT

    # Optional reranker: a litellm rerank model ("cohere/rerank-v3.5", "infinity/<model>", ...).
    rerank_model: str | None = None
    rerank_api_base: str | None = None
    rerank_api_key: str | None = None
    rerank_candidates: int = 20  # fused candidates sent to the reranker
    rerank_timeout_s: float = 10.0

    # Follow-up questions: how many earlier messages the condenser looks at.
    condense_history_messages: int = 6

    # Answerability model parameters (JSON written by `python -m eval.fit_answerability`); unset = the parameters shipped in assistant/answerability_params.json.
    answerability_params: Path | None = None

    @property
    def weights(self) -> dict[str, float]:
        return {"bm25": self.bm25_weight, "dense": self.dense_weight, "title": self.title_weight}


@lru_cache(maxsize=1)
def get_retrieval_settings() -> RetrievalSettings:
    return RetrievalSettings()
