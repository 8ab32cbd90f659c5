"""The service under test of eval.bench_soak, started on loopback: one of two topologies.

  embedded  `kefu serve` with 1 worker: SQLite and embedded Chroma in the data dir, ingest jobs on
            the API process's own thread pool (the defaults).
  scaled    a fresh PostgreSQL database (dropped afterwards), a `chroma run` server, `kefu serve
            --workers N` and M `kefu worker` processes taking ingest jobs from the job queue
            (KEFU_JOB_QUEUE=procrastinate), all sharing one data dir (uploads are written by the API
            and read by the workers), as .deploy/compose.yml lays it out.

Chroma is started here rather than through api.cli.serve_chroma because eval does not import the
api package; it is the plain `chroma run` command, as the compose file runs it.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from eval.bench_api import _create_keys, _free_port, _wait_healthy, process_tree

TOPOLOGIES = ("embedded", "scaled")
POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@dataclass
class Stack:
    topology: str
    url: str
    data_dir: Path
    env: dict[str, str]
    keys: dict[str, str]
    # role -> root processes; a role's memory is that of its roots' whole process trees.
    processes: dict[str, list[subprocess.Popen[bytes]]] = field(default_factory=dict)
    logs: dict[str, Path] = field(default_factory=dict)
    started_s: float = 0.0  # from launching the first process to /healthz answering
    database_url: str | None = None  # None: SQLite in the data dir
    chroma_url: str | None = None  # None: embedded Chroma in the data dir

    def alive(self) -> list[str]:
        """Roles with a process that exited (a crash during the soak)."""
        return [
            f"{role} (exit {p.returncode})"
            for role, ps in self.processes.items()
            for p in ps
            if p.poll() is not None
        ]


def _kefu() -> str:
    return str(Path(sys.executable).parent / "kefu")


def memory_mb(stack: Stack) -> dict[str, dict[str, float]]:
    """role -> {"rss": MB, "pss": MB} summed over the role's processes and their descendants.
    RSS counts pages the forked workers share once per process; PSS splits them (Linux)."""
    out: dict[str, dict[str, float]] = {}
    for role, roots in stack.processes.items():
        pids: set[int] = set()
        for root in roots:
            if root.poll() is None:
                pids |= process_tree(root.pid)
        rss = pss = 0
        for pid in pids:
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1])
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1])
        out[role] = {"rss": round(rss / 1024, 1), "pss": round(pss / 1024, 1), "processes": len(pids)}
    return out


def _stop(process: subprocess.Popen[bytes], timeout_s: float = 30) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


def _spawn(stack: Stack, role: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    log = stack.data_dir / "logs" / f"{role}-{len(stack.processes.get(role, []))}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as sink:
        process = subprocess.Popen(args, env=env, stdout=sink, stderr=sink, stdin=subprocess.DEVNULL)
    stack.processes.setdefault(role, []).append(process)
    stack.logs[f"{role}-{len(stack.processes[role]) - 1}"] = log
    return process


@contextlib.contextmanager
def _postgres_database() -> Iterator[str]:
    """A fresh database on the local PostgreSQL for this run (its own schema and job-queue
    notifications, nothing shared with other runs); dropped on exit."""
    import sqlalchemy as sa

    name = f"kefu_soak_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextlib.contextmanager
def _chroma(stack: Stack, env: dict[str, str]) -> Iterator[str]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    chroma = str(Path(sys.executable).parent / "chroma")
    process = _spawn(
        stack,
        "chroma",
        [chroma, "run", "--path", str(stack.data_dir / "chroma"), "--host", "127.0.0.1", "--port", str(port)],
        env,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"`chroma run` exited with code {process.returncode}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise TimeoutError("`chroma run` did not answer its heartbeat")
            time.sleep(0.2)
        yield url
    finally:
        _stop(process)


@contextlib.contextmanager
def start(topology: str, data_dir: Path, *, api_workers: int = 4, ingest_workers: int = 2) -> Iterator[Stack]:
    """Start the topology on a free loopback port with owner and customer keys; stop it all on
    exit (the caller may stop the kefu processes earlier with stop_kefu, to check the stores)."""
    if topology not in TOPOLOGIES:
        raise ValueError(f"unknown topology {topology!r}; choose one of {TOPOLOGIES}")
    port = _free_port()
    env = {
        **os.environ,
        "KEFU_DATA_DIR": str(data_dir),
        "KEFU_RATE_LIMIT_PER_MINUTE": "0",
        "KEFU_LOG_LEVEL": "WARNING",
        "KEFU_JOB_QUEUE": "thread",
    }
    for name in ("KEFU_DATABASE_URL", "KEFU_CHROMA_URL"):
        env.pop(name, None)
    stack = Stack(topology, f"http://127.0.0.1:{port}", data_dir, env, {})
    t0 = time.perf_counter()
    with contextlib.ExitStack() as cleanup:
        workers = 1
        if topology == "scaled":
            stack.database_url = cleanup.enter_context(_postgres_database())
            stack.chroma_url = cleanup.enter_context(_chroma(stack, env))
            env.update(
                KEFU_DATABASE_URL=stack.database_url,
                KEFU_CHROMA_URL=stack.chroma_url,
                KEFU_JOB_QUEUE="procrastinate",
            )
            workers = api_workers
        stack.keys = _create_keys(Path(_kefu()), env)  # also migrates the database
        server = _spawn(
            stack,
            "api",
            [_kefu(), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
            env,
        )
        cleanup.callback(stop_kefu, stack)
        if topology == "scaled":
            for i in range(ingest_workers):
                _spawn(stack, "ingest_workers", [_kefu(), "worker", "--name", f"soak-{i}"], env)
        try:
            _wait_healthy(stack.url, server, 600)  # 4 workers importing on a busy machine took > 2 min
        except Exception as exc:
            raise RuntimeError(f"{exc}\n{tail(stack.logs['api-0'])}") from exc
        stack.started_s = time.perf_counter() - t0
        yield stack


def stop_kefu(stack: Stack) -> None:
    """SIGTERM the API and the ingest workers (they finish running jobs), leaving Chroma up."""
    for role in ("api", "ingest_workers"):
        for process in stack.processes.get(role, []):
            _stop(process)


def tail(log: Path, chars: int = 3000) -> str:
    return log.read_text(errors="replace")[-chars:] if log.exists() else ""
