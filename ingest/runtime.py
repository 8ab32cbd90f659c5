"""Offline runtime set-up, done once per process before any third-party library is used.

Each line here stops a library from reaching the network at run time (each a trap measured
offline): tiktoken fetches encodings, litellm fetches a cost map, Chroma/ragas send telemetry,
Hugging Face libraries look for hub updates.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

_done = False


def _package_dir(name: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def tiktoken_cache_dir() -> Path | None:
    """The tiktoken encodings shipped inside llama-index-core (cl100k_base, ...)."""
    core = _package_dir("llama_index.core")
    if core is None:
        return None
    cache = core / "_static" / "tiktoken_cache"
    return cache if cache.is_dir() else None


def configure_offline() -> None:
    global _done
    if _done:
        return
    _done = True
    cache = tiktoken_cache_dir()
    if cache is not None:
        # litellm resets TIKTOKEN_CACHE_DIR on import unless CUSTOM_TIKTOKEN_CACHE_DIR is set too.
        os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(cache))
        os.environ.setdefault("CUSTOM_TIKTOKEN_CACHE_DIR", str(cache))
    defaults = {
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "LITELLM_TELEMETRY": "False",
        "DO_NOT_TRACK": "1",
        "RAGAS_DO_NOT_TRACK": "true",
        "ANONYMIZED_TELEMETRY": "False",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "SCARF_NO_ANALYTICS": "true",
        "UNSTRUCTURED_DISABLE_NOTICE": "1",  # else unstructured prints an advert to stdout
        # The embedder's OpenMP threads spin while waiting by default; with two processes (server
        # workers, a benchmark beside the server) spinning threads starve each other and one query
        # embedding went from ~25 ms to ~1.5 s. Sleeping waiters kept it at 60-90 ms.
        "OMP_WAIT_POLICY": "PASSIVE",
    }
    for key, value in defaults.items():
        os.environ.setdefault(key, value)
