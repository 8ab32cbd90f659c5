"""HTTP load benchmark of a real `kefu serve` on loopback: /v1/search and chat.

    python -m eval.bench_api [--search-requests 3000] [--distinct-requests 600] [--concurrency 32]
                             [--chat-requests 24] [--chat-concurrency 4] [--workers 2]
                             [--client raw] [--max-seconds 90] [--json]

Starts `kefu serve` on a free loopback port with a fresh data dir, builds the bundled sample
help centre (ingest/sample) as knowledge base "bench" through the API (upload + job), then runs
--concurrency async clients (eval.loadclient keep-alive sockets, or httpx with --client httpx)
against POST /v1/search until --search-requests are done or --max-seconds pass (16 queries
repeated, then --distinct-requests never-seen ones, which each need a query embedding), and
fewer, slower chat turns (POST /v1/sessions/{id}/messages, English and Chinese questions).
Prints req/s and latency p50/p95/p99 per phase and, because the machine may be shared, the CPU
time per timed request (warm-up excluded) of the server (its whole process tree: workers and the
`chroma run` that `--workers N` starts) and of this client, with the 1-minute load average
before and after each phase and the CPU that other processes (and interrupt handling) used
meanwhile, and (Linux) how many of the search clients' connections each server process held at
the end of the phase. Stops the server and removes the data dir when
done. Loopback only; nothing is downloaded.

The repeated phase hits the embedder's query-vector cache (ingest.embedding.QueryVectorCache);
the distinct phase never does, so it shows the cost of a query embedding. --workers N > 1 makes
`kefu serve` put the vectors behind a loopback `chroma run` (api/cli/serve_chroma.py says why),
which costs ~1-3 ms more CPU per search than the embedded store; still, one worker is one GIL
(~150 searches/s here), and two workers on 2 quiet cores served 229-269/s, p95 160-187 ms, with
the 32 connections split 17:15 or 16:16 (2026-11; uvicorn's shared socket had split them up to
25:7). Default: the cores, at most 4. On a machine other jobs keep busy, compare --workers 1: it
needs less CPU per request.

Goal: /v1/search >= 200 req/s with p95 < 150 ms at 32 concurrent clients.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import numpy as np

from eval.loadclient import LoadClient, LoadClientError

SEARCH_QUERIES = [
    "How long do I have to return an item?",
    "Can I get a refund without the receipt?",
    "How much does express shipping cost?",
    "Do you ship to Switzerland?",
    "What does the warranty cover?",
    "My Lumo hub does not connect to Wi-Fi",
    "How do I reset my password?",
    "What are the benefits of Lumo Plus?",
    "Can I cancel my membership?",
    "Where is my parcel?",
    "退货需要多长时间？",
    "会员有什么权益？",
    "保修期是多久？",
    "运费是多少？",
    "How do I delete my account and my data?",
    "Is the lamp dimmable?",
]
CHAT_QUESTIONS = [
    "How long do I have to return an item?",
    "退货需要多长时间？",
    "What does the warranty cover?",
    "运费是多少？",
]


@dataclass
class Phase:
    name: str
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    modes: dict[str, int] = field(default_factory=dict)
    server_pid: int | None = None  # CPU of its process tree is measured around the timed requests
    server_cpu_s: float = 0.0
    client_cpu_s: float = 0.0
    load: tuple[float, float] = (0.0, 0.0)  # 1-minute load average before and after
    connections: list[int] = field(default_factory=list)  # per server process, at the phase's end
    others_cores: float = 0.0  # CPU other processes used meanwhile, in cores (the machine may be shared)

    def summary(self) -> dict[str, Any]:
        lat = np.array(self.latencies_ms) if self.latencies_ms else np.array([np.nan])
        return {
            "phase": self.name,
            "requests": self.requests,
            "errors": self.errors,
            "seconds": round(self.seconds, 2),
            "req_per_s": round(self.requests / self.seconds, 1) if self.seconds else None,
            "p50_ms": round(float(np.percentile(lat, 50)), 1),
            "p95_ms": round(float(np.percentile(lat, 95)), 1),
            "p99_ms": round(float(np.percentile(lat, 99)), 1),
            "server_cpu_ms_per_req": round(1000 * self.server_cpu_s / self.requests, 2)
            if self.requests
            else None,
            "client_cpu_ms_per_req": round(1000 * self.client_cpu_s / self.requests, 2)
            if self.requests
            else None,
            "load_1m": list(self.load),
            "connections_per_process": self.connections,
            "others_cores": round(self.others_cores, 2),
            "statuses": self.statuses,
            **({"modes": self.modes} if self.modes else {}),
        }


def process_tree(pid: int) -> set[int]:
    """A process and its live descendants (Linux /proc; just the pid elsewhere)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    tree, changed = {pid}, True
    while changed:
        grown = {child for child, parent in parents.items() if parent in tree} - tree
        tree |= grown
        changed = bool(grown)
    return tree


def tree_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process and its live descendants (Linux /proc; 0 elsewhere)."""
    total = 0.0
    for member in process_tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def sockets_by_process(pid: int, port: int, state: str = "01") -> dict[int, int]:
    """pid -> how many TCP sockets on local `port` in `state` (01 established, 0A listening) each
    process of the tree holds (Linux /proc; empty elsewhere)."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == state:
                inodes.add(fields[9])
    held: dict[int, int] = {}
    for member in process_tree(pid):
        try:
            links = [os.readlink(fd) for fd in Path(f"/proc/{member}/fd").iterdir()]
        except OSError:
            continue
        count = sum(1 for link in links if link.startswith("socket:[") and link[8:-1] in inodes)
        if count:
            held[member] = count
    return held


def connections_per_process(pid: int, port: int) -> list[int]:
    """Established connections to `port` per server process, largest first: how evenly the
    workers share the clients."""
    return sorted(sockets_by_process(pid, port).values(), reverse=True)


def machine_busy_s() -> float:
    """CPU seconds all processes have used since boot, every core together (Linux; 0 elsewhere)."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]]
    except (OSError, ValueError):
        return 0.0
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")  # minus idle and iowait


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _create_keys(kefu: Path, env: dict[str, str]) -> dict[str, str]:
    """An owner and a customer key, made with `kefu keys create` as an operator would (eval does
    not import the api package; the key is alone on the command's stdout)."""
    keys = {}
    for role in ("owner", "customer"):
        made = subprocess.run(
            [str(kefu), "keys", "create", "--role", role, "--tenant", "bench", "--name", f"bench-{role}"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if made.returncode != 0:
            raise RuntimeError(f"kefu keys create failed: {made.stderr.strip()}")
        keys[role] = made.stdout.strip()
    return keys


def _wait_healthy(url: str, process: subprocess.Popen[bytes], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"kefu serve exited with code {process.returncode}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError("kefu serve did not answer /healthz")


def _build_kb(url: str, owner: str, timeout_s: float) -> dict[str, Any]:
    from ingest.sample import sample_files

    headers = {"Authorization": f"Bearer {owner}"}
    with httpx.Client(base_url=url, timeout=120) as client:
        client.post("/v1/kbs", json={"name": "bench"}, headers=headers).raise_for_status()
        files = [("files", (p.name, p.read_bytes())) for p in sample_files()]
        response = client.post("/v1/kbs/bench/documents", files=files, headers=headers)
        response.raise_for_status()
        job_id = response.json()["job"]["id"]
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            job = client.get(f"/v1/jobs/{job_id}", headers=headers).json()
            if job["status"] in ("succeeded", "partial", "failed"):
                return job
            time.sleep(0.5)
    raise TimeoutError("the ingest job did not finish")


async def _run(
    phase: Phase,
    total: int,
    concurrency: int,
    deadline: float,
    send: Callable[[int], Awaitable[tuple[int, str | None]]],
) -> None:
    counter = iter(range(total))
    # After the phase's warm-up requests: only the timed requests' CPU is counted.
    load_before, client_before = os.getloadavg()[0], time.process_time()
    server_before = tree_cpu_s(phase.server_pid) if phase.server_pid else 0.0
    busy_before = machine_busy_s()
    started = time.perf_counter()

    async def worker() -> None:
        for i in counter:
            if time.monotonic() > deadline:
                return
            t0 = time.perf_counter()
            status: int | str
            try:
                status, mode = await send(i)
            except (httpx.HTTPError, LoadClientError) as exc:
                status, mode = type(exc).__name__, None
            phase.latencies_ms.append((time.perf_counter() - t0) * 1000)
            phase.requests += 1
            phase.statuses[str(status)] = phase.statuses.get(str(status), 0) + 1
            if status != 200:
                phase.errors += 1
            if mode:
                phase.modes[mode] = phase.modes.get(mode, 0) + 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    phase.seconds = time.perf_counter() - started
    phase.client_cpu_s = time.process_time() - client_before
    phase.server_cpu_s = tree_cpu_s(phase.server_pid) - server_before if phase.server_pid else 0.0
    phase.load = (round(load_before, 2), round(os.getloadavg()[0], 2))
    others = machine_busy_s() - busy_before - phase.server_cpu_s - phase.client_cpu_s
    phase.others_cores = max(0.0, others) / phase.seconds if phase.seconds else 0.0


async def _search_phase(
    url: str,
    key: str,
    total: int,
    concurrency: int,
    seconds: float,
    *,
    distinct: bool,
    client_kind: str = "raw",
    server_pid: int | None = None,
) -> Phase:
    """distinct: every query is new (a variant number appended), so each one is embedded; else
    the 16 queries repeat, as hit testing does, and their vectors come from the query cache.
    client_kind "raw" (eval.loadclient: keep-alive, ~0.1 ms CPU per request) or "httpx"."""
    phase = Phase("search-distinct" if distinct else "search", server_pid=server_pid)
    headers = {"Authorization": f"Bearer {key}"}
    if client_kind == "raw":
        client = LoadClient(url, concurrency, headers)

        async def post(payload: dict[str, object]) -> tuple[int, bytes]:
            return await client.post_json("/v1/search", payload)
    else:
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        client = httpx.AsyncClient(base_url=url, timeout=30, limits=limits, headers=headers)  # type: ignore[assignment]

        async def post(payload: dict[str, object]) -> tuple[int, bytes]:
            response = await client.post("/v1/search", json=payload)  # type: ignore[attr-defined]
            return response.status_code, response.content

    async with client:
        for query in SEARCH_QUERIES:  # warm the indexes and the embedder
            status, body = await post({"kb": "bench", "query": query, "top_k": 5})
            if status != 200 or not json.loads(body)["hits"]:
                raise RuntimeError(f"warm-up search for {query!r} answered {status}: {body[:300]!r}")

        async def send(i: int) -> tuple[int, None]:
            query = SEARCH_QUERIES[i % len(SEARCH_QUERIES)] + (f" (variant {i})" if distinct else "")
            status, _ = await post({"kb": "bench", "query": query, "top_k": 5})
            return status, None

        await _run(phase, total, concurrency, time.monotonic() + seconds, send)
        if server_pid:  # while the client's connections are still open
            phase.connections = connections_per_process(server_pid, urlsplit(url).port or 80)
    return phase


async def _chat_phase(
    url: str, key: str, total: int, concurrency: int, seconds: float, server_pid: int | None = None
) -> Phase:
    phase = Phase("chat", server_pid=server_pid)
    async with httpx.AsyncClient(
        base_url=url, timeout=120, headers={"Authorization": f"Bearer {key}"}
    ) as client:
        warm = (await client.post("/v1/sessions", json={"kb": "bench"})).json()["id"]
        await client.post(f"/v1/sessions/{warm}/messages", json={"text": CHAT_QUESTIONS[0]})  # loads the LLM

        async def send(i: int) -> tuple[int, str | None]:
            created = await client.post("/v1/sessions", json={"kb": "bench", "channel": "bench"})
            if created.status_code != 201:
                return created.status_code, None
            response = await client.post(
                f"/v1/sessions/{created.json()['id']}/messages",
                json={"text": CHAT_QUESTIONS[i % len(CHAT_QUESTIONS)]},
            )
            return response.status_code, response.json().get("mode") if response.status_code == 200 else None

        await _run(phase, total, concurrency, time.monotonic() + seconds, send)
    return phase


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--search-requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--distinct-requests", type=int, default=600, help="searches with never-seen queries")
    parser.add_argument("--chat-requests", type=int, default=24)
    parser.add_argument("--chat-concurrency", type=int, default=4)
    parser.add_argument(
        "--workers",
        type=int,
        default=min(4, os.cpu_count() or 1),
        help="uvicorn worker processes (default: the cores, at most 4)",
    )
    parser.add_argument("--max-seconds", type=float, default=90.0, help="time budget of each phase")
    parser.add_argument(
        "--client",
        choices=("raw", "httpx"),
        default="raw",
        help="search load generator: raw keep-alive sockets (light) or httpx (~2 ms CPU/request)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of lines")
    args = parser.parse_args(argv)

    data_dir = Path(tempfile.mkdtemp(prefix="kefu-bench-api-"))
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "KEFU_DATA_DIR": str(data_dir),
        "KEFU_RATE_LIMIT_PER_MINUTE": "0",
        "KEFU_LOG_LEVEL": "WARNING",
    }
    kefu = Path(sys.executable).parent / "kefu"
    keys = _create_keys(kefu, env)
    log = data_dir / "server.log"
    with log.open("wb") as sink:
        server = subprocess.Popen(
            [str(kefu), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(args.workers)],
            env=env,
            stdout=sink,
            stderr=sink,
        )
    try:
        _wait_healthy(url, server, 60)
        job = _build_kb(url, keys["owner"], 600)
        search = asyncio.run(
            _search_phase(
                url,
                keys["owner"],
                args.search_requests,
                args.concurrency,
                args.max_seconds,
                distinct=False,
                client_kind=args.client,
                server_pid=server.pid,
            )
        )
        cold = asyncio.run(
            _search_phase(
                url,
                keys["owner"],
                args.distinct_requests,
                args.concurrency,
                args.max_seconds,
                distinct=True,
                client_kind=args.client,
                server_pid=server.pid,
            )
        )
        chat = asyncio.run(
            _chat_phase(
                url,
                keys["customer"],
                args.chat_requests,
                args.chat_concurrency,
                args.max_seconds,
                server_pid=server.pid,
            )
        )
    except Exception:
        print(log.read_text(errors="replace")[-3000:], file=sys.stderr)
        raise
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(data_dir, ignore_errors=True)
    chunks = sum(f["chunks"] for f in job["files"])
    setup = {
        "workers": args.workers,
        "cpus": os.cpu_count(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "kb_files": len(job["files"]),
        "kb_chunks": chunks,
        "search_concurrency": args.concurrency,
        "search_client": args.client,
        "chat_concurrency": args.chat_concurrency,
    }
    result = {
        "setup": setup,
        "search": search.summary(),
        "search_distinct": cold.summary(),
        "chat": chat.summary(),
        "goal_search": {"req_per_s": 200, "p95_ms": 150},
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(f"setup: {json.dumps(setup)}")
        for phase in (search, cold, chat):
            s = phase.summary()
            print(
                f"{s['phase']:>6}: {s['requests']} requests in {s['seconds']} s = {s['req_per_s']} req/s; "
                f"p50 {s['p50_ms']} ms, p95 {s['p95_ms']} ms, p99 {s['p99_ms']} ms; statuses {s['statuses']}"
                + (f"; modes {s['modes']}" if s.get("modes") else "")
                + f"; CPU/request server {s['server_cpu_ms_per_req']} ms, client {s['client_cpu_ms_per_req']} ms"
                + f"; load {s['load_1m'][0]} -> {s['load_1m'][1]}, other processes {s['others_cores']} cores"
                + (
                    f"; connections per server process {s['connections_per_process']}"
                    if s["connections_per_process"]
                    else ""
                )
            )
        s = search.summary()
        met = (s["req_per_s"] or 0) >= 200 and s["p95_ms"] < 150
        print(f"goal /v1/search >= 200 req/s and p95 < 150 ms: {'met' if met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
