"""A minimal HTTP/1.1 keep-alive client for generating load on loopback (eval.bench_api).

Why not httpx: measured here it costs 1.5-2.8 ms of CPU per request; at 200 req/s on a 2-core
machine the load generator alone would take a quarter to half of the CPU from the server it is
measuring. This client writes pre-encoded requests on persistent connections and reads the status
and the Content-Length body (~0.1 ms per request). It speaks only what `kefu serve` (uvicorn)
answers to a JSON POST: HTTP/1.1 with a Content-Length body; anything else is an error.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

from ingest.errors import Unavailable


class LoadClientError(Unavailable, RuntimeError):
    pass


class Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._reader is None or self._writer is None or self._writer.is_closing():
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        return self._reader, self._writer

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        reader, writer = await self._open()
        try:
            writer.write(raw)
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split(" ", 2)[1])
            headers = {
                k.strip().lower(): v.strip()
                for k, _, v in (line.partition(":") for line in lines[1:] if line)
            }
            if "content-length" not in headers:
                raise LoadClientError(f"response without Content-Length: {lines[0]}")
            body = await reader.readexactly(int(headers["content-length"]))
        except (
            OSError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            ValueError,
            IndexError,
        ) as exc:
            await self.close()
            raise LoadClientError(f"{type(exc).__name__}: {exc}") from exc
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status, body

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            try:
                await self._writer.wait_closed()
            except OSError:
                pass
        self._reader = self._writer = None


class LoadClient:
    """`size` keep-alive connections to one server; post_json() borrows one per request."""

    def __init__(self, base_url: str, size: int, headers: dict[str, str], timeout_s: float = 30.0) -> None:
        parts = urlsplit(base_url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError("the load client speaks plain http:// only")
        self.host, self.port = parts.hostname, parts.port or 80
        self.timeout_s = timeout_s
        self._header_block = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self._all = [Connection(self.host, self.port) for _ in range(size)]
        self._idle: asyncio.Queue[Connection] = asyncio.Queue()
        for connection in self._all:
            self._idle.put_nowait(connection)

    def encode(self, path: str, payload: Any) -> bytes:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n{self._header_block}"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        return head.encode("latin-1") + body

    @asynccontextmanager
    async def _borrow(self) -> AsyncIterator[Connection]:
        connection = await self._idle.get()
        try:
            yield connection
        finally:
            self._idle.put_nowait(connection)

    async def post_json(self, path: str, payload: Any) -> tuple[int, bytes]:
        raw = self.encode(path, payload)
        async with self._borrow() as connection:
            try:
                return await asyncio.wait_for(connection.request(raw), self.timeout_s)
            except TimeoutError as exc:
                await connection.close()
                raise LoadClientError(f"no answer within {self.timeout_s} s") from exc

    async def aclose(self) -> None:
        for connection in self._all:
            await connection.close()

    async def __aenter__(self) -> LoadClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
