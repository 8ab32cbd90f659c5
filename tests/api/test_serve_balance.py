"""api.cli.serve_balance: a worker holding clearly more than its share of the connections closes
one with its next response; balanced workers, and a worker alone, close nothing."""

from __future__ import annotations

import asyncio

import pytest
import uvicorn
from starlette.types import Message, Receive, Scope, Send

from api.cli.serve_balance import ABSENT, Balance, fair_share


async def _hello(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"hi"})


def _respond(balance: Balance) -> list[tuple[bytes, bytes]]:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(balance({"type": "http", "method": "GET", "path": "/", "headers": []}, receive, send))
    return list(sent[0]["headers"])


def _worker_holding(connections: int, counts: list[int]) -> Balance:
    server = uvicorn.Server(uvicorn.Config(_hello))
    server.server_state.connections.update(
        object() for _ in range(connections)
    )  # stand-ins for open connections
    return Balance(_hello, counts, 0, server)


@pytest.mark.parametrize(
    ("counts", "share"),
    [([16, 16], 17), ([17, 15], 17), ([30, 0], 16), ([ABSENT, 32], 35), ([500, 500], 550), ([0, 0], 1)],
)
def test_fair_share(counts: list[int], share: int) -> None:
    assert fair_share(counts) == share


def test_a_worker_over_its_share_closes_the_connection() -> None:
    counts = [ABSENT, 10]
    headers = _respond(_worker_holding(22, counts))
    assert (b"connection", b"close") in headers
    assert counts == [22, 10]  # published with the response


@pytest.mark.parametrize("other", [15, ABSENT])  # balanced; the other worker is not listening
def test_a_balanced_or_lone_worker_keeps_the_connection(other: int) -> None:
    headers = _respond(_worker_holding(17, [ABSENT, other]))
    assert (b"connection", b"close") not in headers


def test_a_burst_closes_only_the_excess() -> None:
    """Responses sent before any closed connection is gone: only the connections over the share close."""
    balance = _worker_holding(22, [ABSENT, 10])
    closed = sum((b"connection", b"close") in _respond(balance) for _ in range(22))
    assert closed == 22 - fair_share([22, 10])
