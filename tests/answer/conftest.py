"""Fixtures for the answer steps: sample passages and settings for the real local model.
(The scripted litellm provider that forces exact replies or failures lives in tests/conftest.py.)"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from assistant.extractive import ExtractiveAnswerer
from assistant.types import Passage
from ingest.config import Settings
from ingest.embedding import Embedder, get_embedder
from ingest.text import is_chinese


def passage(n: int, title: str, text: str, *, kind: str = "text", lang: str = "en") -> Passage:
    return Passage(
        chunk_id=f"chunk-{n}", doc_id=f"doc-{n}", title=title, text=text, n=n, kind=kind, lang=lang
    )


def faq(n: int, title: str, question: str, answer: str) -> Passage:
    """An FAQ entry as ingest renders one ("Q: ...\nA: ...", "问：...\n答：...")."""
    if is_chinese(question):
        return passage(n, title, f"问：{question}\n答：{answer}", kind="faq", lang="zh")
    return passage(n, title, f"Q: {question}\nA: {answer}", kind="faq")


@pytest.fixture
def make_passage() -> Callable[..., Passage]:
    return passage


@pytest.fixture
def shop_passages() -> list[Passage]:
    return [
        passage(
            1,
            "Returns policy",
            "Unused items can be returned within 30 days of purchase. Bring the original "
            "receipt or your order number. Refunds are issued to the original payment method within 5-7 "
            "business days.",
        ),
        passage(
            2,
            "Shipping",
            "Standard shipping takes 3-5 business days. Orders over $50 ship free. Express "
            "shipping costs $12 and arrives the next business day.",
        ),
        passage(
            3,
            "Warranty",
            "All electronics come with a one-year limited warranty. The warranty covers "
            "manufacturing defects but not accidental damage or water damage.",
        ),
    ]


@pytest.fixture(scope="session")
def local_settings() -> Settings:
    # One thread: with other processes on the two cores, two llama.cpp threads that wait on each
    # other ran 5x slower here (a 15-token answer took 6 s instead of 1 s).
    return Settings(llm_threads=1, llm_timeout_s=30.0, llm_max_tokens=96, llm_temperature=0.0)


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return get_embedder(Settings())


@pytest.fixture(scope="module", params=["embedder", "words only"])
def extractor(request: pytest.FixtureRequest, embedder: Embedder) -> ExtractiveAnswerer:
    """The extractive answer with the embedder's sentence similarity, and with words only."""
    return ExtractiveAnswerer(embedder=embedder if request.param == "embedder" else None)
