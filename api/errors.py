"""Library exceptions to HTTP errors, declared per route family instead of try/except per route."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from fastapi import HTTPException


@contextmanager
def http_errors(statuses: Mapping[type[Exception], int], not_found: str = "") -> Iterator[None]:
    """Re-raise the first matching exception as an HTTPException with its status code.

    The detail is the exception's own message, except that `not_found` (when given) replaces it
    for 404s, so a route names the resource the caller asked for rather than an internal id.
    """
    try:
        yield
    except tuple(statuses) as exc:
        code = next(code for kind, code in statuses.items() if isinstance(exc, kind))
        detail = not_found if code == 404 and not_found else str(exc)
        raise HTTPException(code, detail) from exc
