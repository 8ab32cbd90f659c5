"""The kefu HTTP service.

    create_app(settings) -> FastAPI     for tests and embedding
    factory()                            for `uvicorn --factory api.app:factory` (what `kefu serve` runs)

Start-up imports no model library: the answer and ingest pipelines are built on first use (or by
the background warm-up), so /healthz answers as soon as the process listens.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from api import errors
from api.auth import key_cache
from api.channels import channel_routers
from ingest.config import Settings, get_settings
from api.logs import configure_logging
from api.middleware import RequestContextMiddleware
from api.routers import (
    agents,
    analytics,
    docs,
    faqs,
    health,
    knowledge,
    openai_compat,
    releases,
    search,
    sessions,
    versions,
    web,
)
from api.services import Services
from ingest.db import Database

log = logging.getLogger("kefu.api")

DESCRIPTION = """Grounded, cited answers from your knowledge bases, with hand-off to human agents.

Authenticate with `Authorization: Bearer <key>` (or `X-API-Key`); keys are made with `kefu keys create`.
Roles: customer (chat), agent (inbox), owner (knowledge, search), qa (search, analytics), admin (all)."""


def _resume_pushes(svc: Services) -> None:
    from api.channels.outbound import resume

    try:
        resumed = resume(svc)
    except Exception:  # start-up goes on; the rows stay visible in the outbox for a manual retry
        log.exception("could not resume channel pushes")
        return
    if resumed:
        log.warning("sent again %d channel pushes a stopped server left behind", len(resumed))


def _warm_up(svc: Services, freeze_heap: bool) -> None:
    svc.warm_up()
    if freeze_heap:
        # What is loaded by now (modules, models, dictionaries) lives as long as the process, yet
        # every full collection scanned it all again: ~575k objects, 0.25-0.65 s with the GIL held,
        # a few times a minute under load (measured in `kefu serve --workers 2` workers; those
        # pauses were the search p99). Frozen, the collector skips them.
        gc.collect()
        gc.freeze()


def create_app(
    settings: Settings | None = None, *, database: Database | None = None, freeze_heap: bool = False
) -> FastAPI:
    """freeze_heap: after the warm-up, exempt everything loaded so far from garbage collection
    (for a served process; a test process keeps collecting normally)."""
    config: Settings = settings or get_settings()
    svc = Services(config, database=database)
    key_cache.ttl_s = config.key_cache_ttl_s  # one cache per process, like the keys' database

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        interrupted = svc.jobs.recover()
        if interrupted:
            log.warning("marked %d interrupted jobs failed", interrupted)
        # Channel pushes a stopped server left unsent go out again, off the start-up path.
        threading.Thread(target=_resume_pushes, args=(svc,), name="kefu-outbox", daemon=True).start()
        if config.warmup:
            threading.Thread(
                target=_warm_up, args=(svc, freeze_heap), name="kefu-warmup", daemon=True
            ).start()
        yield
        svc.close()

    assets = docs.assets_dir()
    if assets is None:
        log.warning("fastapi-offline is not installed: /docs and /redoc load their scripts from a CDN")
    local_docs: dict[str, Any] = {"docs_url": None, "redoc_url": None} if assets is not None else {}
    app = FastAPI(title="kefu", version="0.1.0", description=DESCRIPTION, lifespan=lifespan, **local_docs)
    if assets is not None:
        docs.install(app, assets)
    app.state.services = svc
    errors.install(app, openai_compat.OPENAI_PATHS)
    for module in (
        health,
        sessions,
        openai_compat,
        search,
        knowledge,
        faqs,
        versions,
        releases,
        agents,
        analytics,
        web,
    ):
        app.include_router(module.router)
    for name, router in channel_routers().items():
        app.include_router(router, prefix=f"/v1/channels/{name}")
    app.mount("/web", StaticFiles(directory=web.WEB_DIR), name="web")
    if config.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=config.cors_origins,
            allow_methods=["GET", "POST", "PUT", "DELETE"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type", "X-Request-ID", "Accept"],
            expose_headers=["X-Request-ID", "Retry-After"],
            max_age=600,
        )
    # Added last = outermost: request ids and size limits apply to everything, CORS preflights included.
    app.add_middleware(RequestContextMiddleware, settings=config)
    return app


def factory() -> FastAPI:
    """The app from the environment (KEFU_*), with JSON logs: one per uvicorn worker process."""
    config = get_settings()
    configure_logging(config.log_level)
    return create_app(config, freeze_heap=True)
