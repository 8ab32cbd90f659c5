"""Errors meaning a backing service cannot be reached right now (the Chroma server, the SQL
database): the request gets a fast 503 with Retry-After instead of a 500, and the same request
succeeds again once the service is back (clients reconnect on their next call)."""

from __future__ import annotations

RETRY_AFTER_S = 5


def unavailable_service(exc: BaseException) -> str | None:
    """The service an exception (or one it was raised from) says is unreachable, else None."""
    import httpx
    from sqlalchemy.exc import DBAPIError, OperationalError

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, httpx.TransportError):  # chromadb's HttpClient: refused, reset, timed out
            return "the vector store"
        if isinstance(current, OperationalError) or (
            isinstance(current, DBAPIError) and current.connection_invalidated
        ):
            return "the database"
        current = current.__cause__ or current.__context__
    return None
