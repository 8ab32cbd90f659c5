"""A loopback `chroma run` beside `kefu serve --workers N` (N > 1), when no KEFU_CHROMA_URL is set.

Why: embedded Chroma (PersistentClient) keeps each collection's vector index in the memory of the
process that loaded it, and does not reload it when another process writes. Measured with
chromadb 1.5.9: process B loaded a collection of 10 vectors; after process A added 20 more, B's
count() said 30 but its queries still searched the 10 (until B restarted). With several workers,
an upload handled by one worker would stay invisible to the dense retriever of the others. One
Chroma server that every worker talks to (the scale-out set-up in README's deployment section) keeps them
consistent; it costs ~1 ms of CPU per query more than the embedded store (HTTP on loopback).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

START_TIMEOUT_S = 60.0
HEARTBEAT = "/api/v2/heartbeat"


def _free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def die_with_parent() -> None:
    """Linux: this process (the Chroma sidecar, a worker) gets SIGTERM when `kefu serve` dies, even by SIGKILL."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def chroma_executable() -> Path:
    """The `chroma` command installed with chromadb next to this Python."""
    candidate = Path(sys.executable).parent / "chroma"
    if candidate.exists():
        return candidate
    raise FileNotFoundError(
        "the `chroma` command (from chromadb) was not found next to the Python interpreter"
    )


@contextlib.contextmanager
def chroma_server(path: Path, log_file: Path, host: str = "127.0.0.1") -> Iterator[str]:
    """Run `chroma run --path PATH` on a free loopback port; yields its URL; stops it on exit."""
    path.mkdir(parents=True, exist_ok=True)
    log_file.parent.mkdir(parents=True, exist_ok=True)
    port = _free_port(host)
    url = f"http://{host}:{port}"
    with log_file.open("ab") as sink:
        process = subprocess.Popen(
            [str(chroma_executable()), "run", "--path", str(path), "--host", host, "--port", str(port)],
            stdout=sink,
            stderr=sink,
            stdin=subprocess.DEVNULL,
            preexec_fn=die_with_parent,
        )
    try:
        _wait_ready(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def _wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"`chroma run` exited with code {process.returncode}")
        try:
            if httpx.get(url + HEARTBEAT, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"`chroma run` did not answer {url}{HEARTBEAT} within {START_TIMEOUT_S:.0f} s")


def worker_threads(workers: int) -> int:
    """Native threads per worker (OpenMP embedder, BLAS) so that the workers together fill the
    cores once: N workers each spinning up one thread per core starve each other."""
    return max(1, (os.cpu_count() or 1) // max(1, workers))
