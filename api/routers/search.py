"""Hit testing: what retrieval finds for a query, with each retriever's score and rank.

Retrieval is CPU work under the GIL (BM25, Chroma, a query embedding, SQL). It runs on its own
small thread limiter (KEFU_SEARCH_THREADS per process) rather than the shared pool of 40: at 32
concurrent clients, 32 threads only take turns at the GIL and churn the SQL connection pool
(5 pooled + overflow opened and closed per request), while queued requests wait cheaply on the
event loop. Each worker process has its own limiter; `kefu serve --workers N` uses the cores.
"""

from __future__ import annotations

from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Depends

from api.auth import Principal
from api.deps import SEARCH, check_kb, require, services
from api.schemas import SearchHit, SearchIn, SearchOut
from api.services import Services

router = APIRouter(prefix="/v1", tags=["search"])


@router.post("/search", response_model=SearchOut)
async def search(
    body: SearchIn,
    who: Annotated[Principal, Depends(require(*SEARCH))],
    svc: Annotated[Services, Depends(services)],
) -> SearchOut:
    return await anyio.to_thread.run_sync(_search, body, who, svc, limiter=svc.search_limiter)


def _search(body: SearchIn, who: Principal, svc: Services) -> SearchOut:
    from assistant.retrieval import RetrievalFilters

    check_kb(svc, who, body.kb)
    filters = RetrievalFilters(**body.filters.model_dump()) if body.filters else None
    result = svc.retriever().run(body.query, body.kb, top_k=body.top_k, filters=filters, version=body.version)
    hits = [
        SearchHit(
            n=p.n,
            chunk_id=p.chunk_id,
            doc_id=p.doc_id,
            source=p.source,
            title=p.title,
            heading_path=p.heading_path,
            page=p.page,
            kind=p.kind,
            lang=p.lang,
            text=p.text,
            score=p.score,
            scores=p.scores.as_dict(),
            ranks=p.scores.ranks(),
        )
        for p in result.passages
    ]
    return SearchOut(
        kb=body.kb,
        kb_version=result.kb_version,
        query=body.query,
        hits=hits,
        timings_ms={k: round(v, 2) for k, v in result.timings_ms.items()},
        warnings=result.warnings,
    )
