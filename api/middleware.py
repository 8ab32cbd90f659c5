"""The outermost layer of every request: request id in and out, body size limits, the access log,
a JSON 503 when a backing service is unreachable (api.unavailable), and a JSON 500 (with the
request id) for other errors nothing else handled."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ingest.config import Settings
from api.logs import request_id_var
from api.unavailable import RETRY_AFTER_S, unavailable_service

log = logging.getLogger("kefu.api.access")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
# Multipart uploads may be large; every other body is small.
_UPLOAD_PATH = re.compile(r"^/v1/kbs/[^/]+/documents/?$")


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        given = headers.get("x-request-id", "")
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status_holder = {"status": 0}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + [(b"x-request-id", request_id.encode())]
            await send(message)

        limit = (
            self.settings.max_upload_bytes
            if _UPLOAD_PATH.match(scope["path"])
            else self.settings.max_body_bytes
        )
        try:
            length = headers.get("content-length")
            if length is not None and length.isdigit() and int(length) > limit:
                await self._reply(
                    send_with_id, 413, f"request body is {int(length)} bytes; the limit is {limit}"
                )
            else:
                await self.app(scope, _limited(receive, limit), send_with_id)
        except Exception as exc:
            service = unavailable_service(exc)
            if service is not None:
                log.warning(
                    "%s is unavailable: %s", service, type(exc).__name__, extra={"path": scope["path"]}
                )
                if status_holder["status"] == 0:
                    detail = f"{service} is unavailable; retry shortly (request id {request_id})"
                    await self._reply(send_with_id, 503, detail, retry_after=RETRY_AFTER_S)
            else:
                log.exception("unhandled error", extra={"path": scope["path"]})
                if status_holder["status"] == 0:
                    await self._reply(send_with_id, 500, f"internal error (request id {request_id})")
        finally:
            state = scope.get("state", {})
            if log.isEnabledFor(logging.INFO):  # the record is built only when it will be written
                log.info(
                    "request",
                    extra={
                        "request_id": request_id,
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status_holder["status"],
                        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                        "key_id": state.get("key_id"),
                        "client": (scope.get("client") or ("", 0))[0],
                    },
                )
            request_id_var.reset(token)

    @staticmethod
    async def _reply(send: Send, status: int, detail: str, *, retry_after: int | None = None) -> None:
        body = json.dumps({"detail": detail}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        if retry_after is not None:
            headers.append((b"retry-after", str(retry_after).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _limited(receive: Receive, limit: int) -> Receive:
    """receive() that stops a body without Content-Length (chunked) once it passes the limit; the
    HTTPException reaches FastAPI's handler while the route reads its body, giving a 413."""
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise HTTPException(413, f"request body is over the limit of {limit} bytes")
        return message

    return wrapped
