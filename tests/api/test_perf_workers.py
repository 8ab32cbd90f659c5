"""`kefu serve --workers 2`: both workers see the same knowledge, including vectors written by the
other worker after both had loaded the collection (the loopback `chroma run` that serve starts;
with embedded Chroma each worker would keep searching its stale in-memory index). Each worker
listens on its own SO_REUSEPORT socket, so keep-alive clients reach both; a killed worker is
replaced; SIGTERM stops them all."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from api_fixture import SHOP_DOCS, api_settings, auth, free_port, make_keys, upload, wait_for_http, write_docs

from api.cli.serve_balance import fair_share
from api.cli.serve_chroma import worker_threads
from api.services import Services
from eval.bench_api import sockets_by_process
from eval.loadclient import LoadClient

LISTEN = "0A"

NEW_DOC = {
    "gift-cards.md": "# Gift cards\n\nGift cards are valid for three years and can be topped up "
    "at any checkout counter.\n"
}
QUERY = "How long are gift cards valid?"


def _search(url: str, key: str, query: str) -> dict:
    # A new connection per request, so the workers take turns accepting them.
    with httpx.Client(base_url=url, timeout=60) as client:
        response = client.post(
            "/v1/search", json={"kb": "shop", "query": query, "top_k": 5}, headers=auth(key)
        )
    assert response.status_code == 200, response.text
    return response.json()


def test_two_workers_share_vectors_written_after_start(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    keys = make_keys(Services(api_settings(data_dir)), "acme", ("owner",))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "KEFU_DATA_DIR": str(data_dir),
        "KEFU_RATE_LIMIT_PER_MINUTE": "0",
        "KEFU_WARMUP": "false",
    }
    env.pop("KEFU_CHROMA_URL", None)
    log = tmp_path / "server.log"
    replaced: dict[int, int] = {}
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "kefu"),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                "2",
            ],
            env=env,
            stdout=sink,
            stderr=sink,
        )
    try:
        try:
            wait_for_http(f"{url}/healthz", 90, process)
        except (RuntimeError, TimeoutError) as exc:
            pytest.fail(
                f"kefu serve --workers 2 did not start: {exc}\n{log.read_text(errors='replace')[-3000:]}"
            )
        owner = keys["owner"]
        with httpx.Client(base_url=url, timeout=120) as client:
            assert client.post("/v1/kbs", json={"name": "shop"}, headers=auth(owner)).status_code == 201
            assert (
                upload(client, owner, "shop", write_docs(tmp_path / "docs", SHOP_DOCS))["status"]
                == "succeeded"
            )
        for _ in range(12):  # both workers load the collection's vectors
            assert _search(url, owner, "How long do I have to return an item?")["hits"]
        with httpx.Client(base_url=url, timeout=120) as client:
            job = upload(client, owner, "shop", write_docs(tmp_path / "more", NEW_DOC))
            assert job["status"] == "succeeded", job
        for _ in range(12):
            hits = _search(url, owner, QUERY)["hits"]
            gift = [h for h in hits if h["source"].endswith("gift-cards.md")]
            assert gift and "dense" in gift[0]["scores"], hits  # found by its vector, in every worker
        assert "share the vectors through `chroma run`" in log.read_text(errors="replace")

        workers = sockets_by_process(process.pid, port, LISTEN)
        assert len(workers) == 2 and set(workers.values()) == {1}, workers  # one listening socket each
        assert process.pid not in workers  # the supervisor itself does not accept connections
        held = asyncio.run(_spread(url, owner, process.pid, port, 32))
        assert set(held) == set(workers), (held, workers)  # both workers hold clients,
        assert max(held.values()) <= fair_share(list(held.values())), held  # none clearly more than its share

        killed = min(workers)
        os.kill(killed, signal.SIGKILL)
        replaced = _wait_for(lambda: _replaced(process.pid, port, killed), 120, process, log)
        assert len(replaced) == 2 and killed not in replaced
        assert _search(url, owner, QUERY)["hits"]
        assert "died (exit code -9)" in log.read_text(errors="replace")
    finally:
        process.terminate()
        process.wait(30)
    assert process.returncode == 0  # SIGTERM is the normal way to stop
    for pid in replaced:  # every worker stopped with it
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


async def _spread(url: str, key: str, serve_pid: int, port: int, clients: int) -> dict[int, int]:
    """`clients` keep-alive connections making requests all at once, round after round, until no
    worker holds more than its share (serve_balance closes the excess; a random split of 32 is
    often uneven); which worker holds how many."""
    async with LoadClient(url, clients, auth(key)) as client:
        # Each round moves a surplus connection with even odds; on a loaded 2-core machine the
        # workers also publish their counts late, so give it rounds to spare (one CI run in
        # several had stopped at 18:14 after 40).
        for _ in range(120):
            answers = await asyncio.gather(*(client.post_json("/healthz", {}) for _ in range(clients)))
            assert {status for status, _ in answers} == {405}  # GET only: the cheapest answer
            await asyncio.sleep(0.3)  # the workers publish their counts every 0.1 s
            held = sockets_by_process(serve_pid, port)
            if sum(held.values()) == clients and max(held.values()) <= fair_share(list(held.values())):
                break
        return held


def _replaced(serve_pid: int, port: int, killed: int) -> dict[int, int] | None:
    workers = sockets_by_process(serve_pid, port, LISTEN)
    return workers if len(workers) == 2 and killed not in workers else None


def _wait_for(check, timeout_s: float, process: subprocess.Popen, log: Path):  # type: ignore[no-untyped-def, type-arg]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text(errors="replace")[-3000:]
        found = check()
        if found:
            return found
        time.sleep(0.2)
    pytest.fail(f"not within {timeout_s} s\n{log.read_text(errors='replace')[-3000:]}")


def test_serve_refuses_a_port_in_use(tmp_path: Path) -> None:
    """Nothing else may already listen there: SO_REUSEPORT would otherwise let a second server
    (same user) silently share the port's connections."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "KEFU_DATA_DIR": str(tmp_path / "data"), "KEFU_WARMUP": "false"}
        env.pop("KEFU_CHROMA_URL", None)
        done = subprocess.run(
            [
                str(Path(sys.executable).parent / "kefu"),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                "2",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 4  # unavailable
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "chroma run" not in done.stderr  # refused before starting anything


def test_worker_threads_split_the_cores() -> None:
    cores = os.cpu_count() or 1
    assert worker_threads(1) == cores
    assert worker_threads(cores) == 1
    assert worker_threads(cores * 4) == 1
