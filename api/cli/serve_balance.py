"""Keeps long-lived keep-alive connections spread evenly over `kefu serve --workers N`.

SO_REUSEPORT (api.cli.serve_workers) puts each new connection on a worker at random, by a hash of
its addresses: over 1000 trials here, 32 connections to 2 workers split 20:12 or worse 21% of the
time (22:10 or worse 4%). Clients that keep their connections, such as a reverse proxy's upstream
keep-alive pool or a busy API client, would keep such a split for good: one worker saturated
while the other has CPU to spare. So every worker publishes how many connections it holds (shared
memory, every PUBLISH_S and on each response), and a worker holding clearly more than its share
of the live workers' total answers its next response with `Connection: close`; the client's next
connection lands at random again. Balanced workers close nothing; a 22:10 split is back within
17:15 after about a dozen reconnections.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import MutableSequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.server import Server

PUBLISH_S = 0.1
PENDING_S = 1.0  # a connection told to close is gone within milliseconds (unless it streams)
ABSENT = -1  # a worker that is not (yet) listening: not counted in the share


def fair_share(counts: MutableSequence[int]) -> int:
    """The most connections a worker should hold, with some slack: ceil(total / live) plus a
    tenth, at least 1, so random arrivals do not make the workers close connections all the time."""
    live = [count for count in counts if count != ABSENT]
    share = math.ceil(sum(live) / max(1, len(live)))
    return share + max(1, share // 10)


class Balance:
    """ASGI wrapper around the app of worker `slot`; `counts` is shared by all the workers."""

    def __init__(self, app: ASGIApp, counts: MutableSequence[int], slot: int, server: Server) -> None:
        self.app = app
        self.counts = counts
        self.slot = slot
        self.server = server
        self._closing: deque[float] = deque()  # when each connection not yet gone was told to close

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":  # runs for the worker's whole life
            publisher = asyncio.create_task(self._publish())
            try:
                await self.app(scope, receive, send)
            finally:
                publisher.cancel()
                self.counts[self.slot] = ABSENT
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_or_close(message: Message) -> None:
            if message["type"] == "http.response.start" and self._over_share():
                message = {**message, "headers": [*message.get("headers", []), (b"connection", b"close")]}
            await send(message)

        await self.app(scope, receive, send_or_close)

    def _over_share(self) -> bool:
        mine = len(self.server.server_state.connections)
        self.counts[self.slot] = mine
        # Connections already told to close still count until they are gone: without this, a
        # burst of responses would all close before the first one is (and the other worker
        # would then hold too many).
        now = time.monotonic()
        while self._closing and now - self._closing[0] > PENDING_S:
            self._closing.popleft()
        if mine - len(self._closing) <= fair_share(self.counts):
            return False
        self._closing.append(now)
        return True

    async def _publish(self) -> None:
        """Also when no request comes: a worker with no connections must count, or nothing would
        ever move to it."""
        while not self.server.started:  # listening starts after the lifespan's start-up
            await asyncio.sleep(PUBLISH_S / 2)
        while True:
            self.counts[self.slot] = len(self.server.server_state.connections)
            await asyncio.sleep(PUBLISH_S)
