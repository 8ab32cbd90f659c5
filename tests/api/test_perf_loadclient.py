"""eval.loadclient, the light load generator of eval/bench_api.py: keep-alive reuse, Content-Length
bodies, reconnect after `Connection: close`, and an error (not a hang or a wrong figure) for a
response it cannot read."""

from __future__ import annotations

import asyncio
import json

import pytest

from eval.loadclient import LoadClient, LoadClientError


async def _serve(handler) -> tuple[asyncio.AbstractServer, str]:  # type: ignore[no-untyped-def]
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}"


def test_keep_alive_bodies_and_reconnect() -> None:
    connections: list[int] = []
    heads: list[bytes] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                break
            lines = head.split(b"\r\n")
            length = int(
                next(line.split(b":")[1] for line in lines if line.lower().startswith(b"content-length"))
            )
            payload = json.loads(await reader.readexactly(length))
            heads.append(head.lower())
            body = json.dumps({"echo": payload["query"]}).encode()
            close = payload["query"] == "bye"
            writer.write(
                b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: "
                + str(len(body)).encode()
                + (b"\r\nConnection: close" if close else b"")
                + b"\r\n\r\n"
                + body
            )
            await writer.drain()
            if close:
                break
        writer.close()

    async def run() -> list[tuple[int, bytes]]:
        server, url = await _serve(handler)
        async with server, LoadClient(url, 1, {"Authorization": "Bearer k"}) as client:
            results = [await client.post_json("/v1/search", {"query": q}) for q in ("a", "退货", "bye", "b")]
        return results

    results = asyncio.run(run())
    assert [status for status, _ in results] == [201] * 4
    assert [json.loads(body)["echo"] for _, body in results] == ["a", "退货", "bye", "b"]
    assert len(connections) == 2  # one kept alive for three requests, a new one after the close
    assert all(
        b"authorization: bearer k\r\n" in head and b"content-type: application/json" in head for head in heads
    )


def test_a_response_without_content_length_is_an_error() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
        await writer.drain()
        writer.close()

    async def run() -> None:
        server, url = await _serve(handler)
        async with server, LoadClient(url, 1, {}) as client:
            await client.post_json("/v1/search", {"query": "x"})

    with pytest.raises(LoadClientError, match="Content-Length"):
        asyncio.run(run())
