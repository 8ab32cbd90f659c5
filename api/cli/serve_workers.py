"""`kefu serve --workers N` (N > 1): N uvicorn worker processes, each with its own listening socket.

Why not uvicorn's own `--workers`: there the workers share one listening socket, and an asyncio
(uvloop) worker accepts every pending connection each time it wakes up, so a burst of keep-alive
connections lands mostly on one worker: measured here, 32 clients split 22:10 over 2 workers, one
worker saturated while the other idled (p95 242 ms at 243 req/s). uvicorn (0.54) has no hook for
a socket per worker: its supervisor hands the same sockets to every worker it starts. Here every
worker binds its own socket with SO_REUSEPORT, and the kernel spreads new connections over the
listening sockets by a hash of their addresses. A worker binds before loading the app but listens
only once its app has started, so no connection is routed to a worker that is still starting (or
being replaced): measured, 40 new connections made while a killed worker restarted were all
answered by the other one, none waiting for the new one.

Supervision (this process): SIGINT/SIGTERM stop every worker gracefully (uvicorn's graceful
shutdown, then SIGKILL after a grace period); a worker that dies is replaced, as uvicorn's
supervisor does; a worker that fails to start (exit code 3: app import, lifespan or bind) stops
the whole serve with that code, since every replacement would fail the same way, and so do more
than MAX_RESTARTS deaths within RESTART_WINDOW_S (a crash loop). Workers get SIGTERM if this
process dies (even by SIGKILL), so none is left holding the port. Not done (uvicorn's supervisor
does): pinging workers to kill hung ones, and SIGHUP / SIGTTIN / SIGTTOU (restart, grow, shrink).

Linux only lets processes of the same user join a SO_REUSEPORT group. Before starting the workers
this process checks that nothing listens on the address (as a plain bind would): a second
`kefu serve` on the same port fails instead of sharing its traffic (except within the first
one's few seconds of start-up, before its workers listen).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import MutableSequence
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess

import uvicorn
from uvicorn.config import STARTUP_FAILURE

from api.cli.serve_balance import ABSENT, Balance

log = logging.getLogger("kefu.serve")

MAX_RESTARTS = 5
RESTART_WINDOW_S = 60.0
KILL_GRACE_S = 5.0  # after uvicorn's own graceful-shutdown timeout
_spawn = multiprocessing.get_context("spawn")  # a fresh interpreter: no inherited threads or loops


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def check_free(host: str, port: int) -> int:
    """Fail (OSError) when something already listens on host:port, as a plain bind would; returns
    the port (a free one for port 0, so that every worker binds the same)."""
    with socket.socket(_family(host), socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # like uvicorn: TIME_WAIT is fine
        probe.bind((host, port))
        return int(probe.getsockname()[1])


def reuseport_socket(host: str, port: int) -> socket.socket:
    """A bound, not yet listening socket in the port's SO_REUSEPORT group; uvicorn calls listen()
    once the app has started."""
    sock = socket.socket(_family(host), socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except BaseException:
        sock.close()
        raise
    return sock


def _worker(config: uvicorn.Config, supervisor_pid: int, counts: MutableSequence[int], slot: int) -> None:
    """A worker process: its own socket, one uvicorn server, its app wrapped in Balance."""
    from api.cli.serve_chroma import die_with_parent

    die_with_parent()
    if os.getppid() != supervisor_pid:  # the supervisor died before the line above took effect
        return
    config.configure_logging()
    try:
        sock = reuseport_socket(config.host, config.port)
    except OSError as exc:
        logging.getLogger("uvicorn.error").error("cannot bind %s:%s: %s", config.host, config.port, exc)
        sys.exit(STARTUP_FAILURE)
    server = uvicorn.Server(config)
    config.load()  # exits with STARTUP_FAILURE if the app cannot be imported or built
    config.loaded_app = Balance(config.loaded_app, counts, slot, server)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # Ctrl-C reaches the whole process group; the supervisor stops us too
        pass


class Supervisor:
    """Starts `workers` processes serving `config`, keeps them running, stops them on a signal."""

    def __init__(self, config: uvicorn.Config, workers: int) -> None:
        self.config = config
        self.workers = workers
        self.processes: list[BaseProcess] = []
        self.exit_code = 0
        self._stop = threading.Event()
        self._deaths: deque[float] = deque()
        # Connections each worker holds (api.cli.serve_balance), in shared memory.
        self.counts: MutableSequence[int] = _spawn.RawArray("i", [ABSENT] * workers)

    def run(self) -> int:
        """Serve until SIGINT/SIGTERM (0), a worker start-up failure (3) or a crash loop (1)."""
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            self.processes = [self._start(slot) for slot in range(self.workers)]
            log.info(
                "serving on %s:%d with %d workers (one SO_REUSEPORT socket each): pids %s",
                self.config.host,
                self.config.port,
                self.workers,
                [p.pid for p in self.processes],
            )
            while not self._stop.is_set():
                wait([p.sentinel for p in self.processes], timeout=0.5)  # a signal is seen within 0.5 s
                self._replace_dead()
        finally:
            self._stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return self.exit_code

    def _on_signal(self, signum: int, _frame: object) -> None:
        self._stop.set()

    def _start(self, slot: int) -> BaseProcess:
        self.counts[slot] = ABSENT  # until the worker listens
        process = _spawn.Process(
            target=_worker, args=(self.config, os.getpid(), self.counts, slot), name=f"kefu-worker-{slot}"
        )
        process.start()
        return process

    def _replace_dead(self) -> None:
        for i, process in enumerate(self.processes):
            if self._stop.is_set() or process.exitcode is None:
                continue
            process.join()
            if process.exitcode == STARTUP_FAILURE:
                log.error("worker %s failed to start (exit code %d): stopping", process.pid, STARTUP_FAILURE)
                self._fail(STARTUP_FAILURE)
                return
            now = time.monotonic()
            self._deaths.append(now)
            while self._deaths and now - self._deaths[0] > RESTART_WINDOW_S:
                self._deaths.popleft()
            if len(self._deaths) > MAX_RESTARTS:
                log.error(
                    "workers died %d times within %.0f s: stopping", len(self._deaths), RESTART_WINDOW_S
                )
                self._fail(1)
                return
            self.processes[i] = self._start(i)
            log.warning(
                "worker %s died (exit code %s); started worker %s",
                process.pid,
                process.exitcode,
                self.processes[i].pid,
            )

    def _fail(self, code: int) -> None:
        self.exit_code = code
        self._stop.set()

    def _stop_all(self) -> None:
        for process in self.processes:
            if process.exitcode is None and process.pid is not None:
                os.kill(process.pid, signal.SIGTERM)  # uvicorn's graceful shutdown
        deadline = time.monotonic() + (self.config.timeout_graceful_shutdown or 0) + KILL_GRACE_S
        for process in self.processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.exitcode is None:
                log.warning("worker %s did not stop in time: killing it", process.pid)
                process.kill()
                process.join()
