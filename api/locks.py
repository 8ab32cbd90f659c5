"""Per-knowledge-base write locks that hold across processes.

Every write to a knowledge base (an ingest job, an FAQ edit, a delete) bumps its version, so writes
to one knowledge base run one at a time. In one process a threading.Lock does it; on PostgreSQL a
session advisory lock keyed by (schema, knowledge base) does it across API workers and `kefu worker`
processes too. The server drops a session's advisory locks when its connection ends, so a process
killed while holding one (kill -9 mid-ingest) never leaves the knowledge base locked.
"""

from __future__ import annotations

import threading
import time
from types import TracebackType

from sqlalchemy import Connection, Engine, text

POLL_S = 0.05  # how often a waiting process asks for the lock again
# hashtextextended: a server-side 64-bit hash; current_schema() keeps deployments (and the test
# schemas) that share one database apart.
LOCK_KEY = "hashtextextended(current_schema() || ':' || :name, 0)"


class AdvisoryLock:
    """A PostgreSQL session advisory lock, held on its own pooled connection until release()."""

    def __init__(self, engine: Engine, name: str) -> None:
        self.engine = engine
        self.name = name
        self._connection: Connection | None = None

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        deadline = None if timeout < 0 else time.monotonic() + timeout
        connection = self.engine.connect()
        try:
            while True:
                got = connection.scalar(text(f"SELECT pg_try_advisory_lock({LOCK_KEY})"), {"name": self.name})
                connection.commit()  # the lock belongs to the session, not to this transaction
                if got:
                    self._connection = connection
                    return True
                if not blocking or (deadline is not None and time.monotonic() >= deadline):
                    connection.close()
                    return False
                time.sleep(POLL_S)
        except BaseException:
            connection.close()
            raise

    def release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            raise RuntimeError(f"advisory lock {self.name!r} released without being held")
        try:
            connection.execute(text(f"SELECT pg_advisory_unlock({LOCK_KEY})"), {"name": self.name})
            connection.commit()
        except Exception:
            # The connection is gone (server restart, pg_terminate_backend): so is the lock.
            connection.invalidate()
        finally:
            connection.close()


class KBLock:
    """The knowledge base's write lock: this process's threading.Lock, then (on PostgreSQL) the
    advisory lock, so threads queue here without each holding a database connection."""

    def __init__(self, local: threading.Lock, shared: AdvisoryLock | None) -> None:
        self.local = local
        self.shared = shared

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        started = time.monotonic()
        if not self.local.acquire(blocking, timeout):
            return False
        if self.shared is None:
            return True
        left = -1.0 if timeout < 0 else max(0.0, timeout - (time.monotonic() - started))
        try:
            got = self.shared.acquire(blocking, left)
        except BaseException:
            self.local.release()
            raise
        if not got:
            self.local.release()
        return got

    def release(self) -> None:
        try:
            if self.shared is not None:
                self.shared.release()
        finally:
            self.local.release()

    def __enter__(self) -> KBLock:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
