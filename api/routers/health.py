"""/healthz: the process answers (no I/O). /readyz: every dependency an answer needs is usable."""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from sqlalchemy import text

from api.deps import services
from api.schemas import Check, ReadyOut
from api.services import Services

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


def _timed(probe: Callable[[], str]) -> Check:
    started = time.perf_counter()
    try:
        detail, ok = probe(), True
    except Exception as exc:  # each failing dependency is reported, not raised
        detail, ok = f"{type(exc).__name__}: {exc}", False
    return Check(ok=ok, detail=detail, ms=round((time.perf_counter() - started) * 1000, 2))


def _database(svc: Services) -> str:
    with svc.db.engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    return svc.db.engine.dialect.name


def _chroma(svc: Services) -> str:
    client = svc.ingest().store.client
    client.heartbeat()
    return "server " + svc.settings.chroma_url if svc.settings.chroma_url else "embedded"


def _embedder(svc: Services) -> str:
    from ingest.embedding import get_embedder

    embedder = get_embedder(svc.settings)
    return f"{embedder.name} ({embedder.dim}-d)"


def _llm(svc: Services) -> str:
    """The local model: its weights and llama-cpp are installed (loading is left to the first
    answer). Hosted models are not called: a probe would cost money on every check."""
    from assistant.llm.capabilities import LOCAL_PROVIDER

    model = svc.settings.llm_model
    provider, _, name = model.partition("/")
    if provider != LOCAL_PROVIDER:
        return f"{model} (hosted; not probed)"
    if importlib.util.find_spec("llama_cpp") is None:
        raise RuntimeError("llama-cpp-python is not installed")
    from assistant.llm.local import packaged_model_path

    return f"{model} ({packaged_model_path(name).name})"


@router.get("/readyz", response_model=ReadyOut, responses={503: {"model": ReadyOut}})
def readyz(svc: Services = Depends(services)) -> JSONResponse:
    checks = {
        "database": _timed(lambda: _database(svc)),
        "chroma": _timed(lambda: _chroma(svc)),
        "embedder": _timed(lambda: _embedder(svc)),
        "llm": _timed(lambda: _llm(svc)),
    }
    ready = all(c.ok for c in checks.values())
    body = ReadyOut(status="ready" if ready else "not ready", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)
