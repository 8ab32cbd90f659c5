"""Errors to HTTP responses, in one place: the kind of a KefuError (ingest.errors) decides its
status, FastAPI's own errors keep theirs, and the OpenAI-compatible routes get OpenAI's error shape.

    NotFound 404 · InvalidInput 422 (400 on the OpenAI routes) · Conflict 409 ·
    Unavailable 503 with Retry-After · any other KefuError 500

Routes raise the components' errors and let them through; `install(app)` adds the handlers.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from api.unavailable import RETRY_AFTER_S
from ingest.errors import Conflict, InvalidInput, KefuError, NotFound, Unavailable, kind_of

log = logging.getLogger("kefu.api")

STATUS: dict[type[KefuError], int] = {
    NotFound: 404,
    InvalidInput: 422,
    Conflict: 409,
    Unavailable: 503,
    KefuError: 500,
}
OPENAI_INVALID_STATUS = 400  # OpenAI answers a bad request with 400 where FastAPI says 422

_OPENAI_TYPES = {
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
}


def status_for(error: KefuError | type[KefuError]) -> int:
    """The HTTP status of an error (or an error class) by its kind."""
    return STATUS[kind_of(error)]


def headers_for(error: KefuError) -> dict[str, str] | None:
    return {"Retry-After": str(RETRY_AFTER_S)} if isinstance(error, Unavailable) else None


def openai_error_body(status_code: int, message: str) -> dict[str, Any]:
    """OpenAI's error object, for a response or a streamed chunk."""
    kind = _OPENAI_TYPES.get(status_code, "invalid_request_error")
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


def _openai_error(status_code: int, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse(openai_error_body(status_code, message), status_code=status_code, headers=headers)


def _is_openai(request: Request) -> bool:
    return request.url.path.startswith(request.app.state.openai_paths)


async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
    if _is_openai(request):
        return _openai_error(exc.status_code, str(exc.detail), exc.headers)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in exc.errors()]
    if _is_openai(request):
        message = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors)
        return _openai_error(OPENAI_INVALID_STATUS, message)
    return JSONResponse({"detail": errors}, status_code=422)


async def _kefu_error(request: Request, exc: KefuError) -> JSONResponse:
    code = status_for(exc)
    if code >= 500:
        log.warning("%s: %s", type(exc).__name__, exc, extra={"path": request.url.path})
    if _is_openai(request):
        code = OPENAI_INVALID_STATUS if code == 422 else code
        return _openai_error(code, str(exc), headers_for(exc))
    return JSONResponse({"detail": str(exc)}, status_code=code, headers=headers_for(exc))


def install(app: FastAPI, openai_paths: tuple[str, ...]) -> None:
    """Add the error handlers; requests under `openai_paths` get OpenAI's error shape."""
    app.state.openai_paths = openai_paths
    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(KefuError, _kefu_error)  # type: ignore[arg-type]


@contextmanager
def value_errors_as_invalid_input() -> Iterator[None]:
    """A plain ValueError from a component's argument checks is the caller's bad input: a 422.
    KefuErrors (some are ValueErrors too) go on to the handler, which knows their kind."""
    try:
        yield
    except KefuError:
        raise
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
