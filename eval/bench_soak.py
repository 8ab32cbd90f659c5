"""Bounded loopback soak of a real kefu deployment: mixed search, chat and uploads, then integrity.

    python -m eval.bench_soak [--topology embedded|scaled] [--seconds 300] [--search-clients 6]
                              [--chat-clients 1] [--upload-clients 2] [--upload-pause 2]
                              [--api-workers 4] [--ingest-workers 2] [--sample-files N] [--json]

Starts the service itself on 127.0.0.1 (eval.soak_stack: `embedded` = 1 API worker, SQLite,
embedded Chroma, in-process ingest jobs; `scaled` = --api-workers on a fresh PostgreSQL database +
a Chroma server + the procrastinate job queue with --ingest-workers `kefu worker` processes),
builds the sample help centre (ingest/sample) as knowledge base "bench", warms the service up
(not measured), then for --seconds runs three kinds of clients at once, each loop bounded by a
request count and the deadline:
  search   POST /v1/search back to back (eval.loadclient keep-alive sockets): the 16 queries of
           eval.bench_api, every 4th one made new so it needs a query embedding;
  chat     a minority: turns on the local model, rotating over /v1/chat/completions (plain and
           streamed) and the session API (JSON and SSE), three turns per session;
  upload   each client owns a few generated .md/.txt names and, in turn, uploads one of them
           every --upload-pause seconds: first a new file, then a corrupt (binary) one under
           that name, the last good one again, and new content twice (AFTER_FIRST); it waits for
           the job, checks the outcome the job reports, then that the good version is searchable,
           the text it replaced is not, and the document shows an error only after a corrupt one.
Prints, per request kind and overall, req/s and p50/p95/p99; statuses by class, with every 5xx,
transport and broken-stream error listed; the chat turns' latency and answer modes on their own
(the local model is slow); the memory of the server's processes (API workers, ingest workers, Chroma) after the
warm-up and at the end; then an integrity check through the API (each name's good version found by
its marker, no replaced text left, corrupt uploads flagged on the document) and in the stores
once the kefu processes stopped (eval.soak_integrity: SQL chunks = Chroma vectors, no orphans).
Exit code 0 when there was no 5xx nor transport error and integrity held.
Loopback only; nothing is downloaded; the data dir (and the PostgreSQL database) is removed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import string
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from eval.bench_api import CHAT_QUESTIONS, SEARCH_QUERIES
from eval.loadclient import LoadClient, LoadClientError
from eval.soak_integrity import check_stores
from eval.soak_stack import TOPOLOGIES, Stack, memory_mb, start, stop_kefu, tail

KB = "bench"
EXPECTED_STATUS = {
    "search": 200,
    "chat": 200,
    "chat-stream": 200,
    "session": 201,
    "upload": 202,
    "job": 200,
    "verify": 200,
}
WORDS = (
    "charger cable lamp hub warranty parcel invoice colour battery adapter voucher delivery "
    "firmware screen bracket filter manual receipt courier sticker"
).split()


# -- recording -------------------------------------------------------------------------------------


@dataclass
class Tally:
    """Every request the soak made, by kind, with the unexpected answers kept for the report."""

    started: float = field(default_factory=time.perf_counter)
    latencies: dict[str, list[float]] = field(default_factory=dict)
    statuses: dict[str, dict[str, int]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)  # 5xx, transport and stream errors, every one
    unexpected: list[str] = field(default_factory=list)  # other statuses than the kind's expected one
    modes: dict[str, int] = field(default_factory=dict)  # chat answer modes
    problems: list[str] = field(default_factory=list)  # wrong outcomes seen during the run

    def record(self, kind: str, status: int | str, ms: float, detail: str = "") -> None:
        self.latencies.setdefault(kind, []).append(ms)
        bucket = self.statuses.setdefault(kind, {})
        bucket[str(status)] = bucket.get(str(status), 0) + 1
        at = f"t+{time.perf_counter() - self.started:.1f}s {kind} {status}"
        if isinstance(status, str) or status >= 500:
            self.failures.append(f"{at} {detail[:300]}")
        elif status != EXPECTED_STATUS[kind] and len(self.unexpected) < 200:
            self.unexpected.append(f"{at} {detail[:300]}")

    def classes(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for bucket in self.statuses.values():
            for status, n in bucket.items():
                name = f"{status[0]}xx" if status.isdigit() else status  # transport, stream-error
                out[name] = out.get(name, 0) + n
        return dict(sorted(out.items()))


def _percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50_ms": None, "p95_ms": None, "p99_ms": None}
    arr = np.array(values)
    return {f"p{q}_ms": round(float(np.percentile(arr, q)), 1) for q in (50, 95, 99)}


# -- the three kinds of clients ---------------------------------------------------------------------


async def _search_client(
    client: LoadClient, tally: Tally, rng: random.Random, deadline: float, limit: int
) -> None:
    for i in range(limit):
        if time.monotonic() > deadline:
            return
        query = rng.choice(SEARCH_QUERIES) + (f" (case {rng.randrange(10**6)})" if i % 4 == 3 else "")
        t0 = time.perf_counter()
        status: int | str
        try:
            status, body = await client.post_json("/v1/search", {"kb": KB, "query": query, "top_k": 5})
            detail = body[:300].decode(errors="replace") if status != 200 else ""
        except LoadClientError as exc:
            status, detail = "transport", str(exc)
        tally.record("search", status, (time.perf_counter() - t0) * 1000, detail)


async def _chat_turn(
    client: httpx.AsyncClient, tally: Tally, style: str, session: str | None, question: str
) -> None:
    """One turn; style: openai, openai-stream, session, session-stream. A stream counts as a success
    only when it ends properly (OpenAI: [DONE]; SSE: a `final` event); an `error` event carrying a
    status is counted under that status."""
    kind = "chat-stream" if style.endswith("stream") else "chat"
    t0 = time.perf_counter()
    try:
        if style.startswith("openai"):
            request = client.build_request(
                "POST",
                "/v1/chat/completions",
                json={
                    "model": KB,
                    "messages": [{"role": "user", "content": question}],
                    "stream": kind == "chat-stream",
                },
            )
        else:
            headers = {"Accept": "text/event-stream"} if kind == "chat-stream" else {}
            request = client.build_request(
                "POST", f"/v1/sessions/{session}/messages", json={"text": question}, headers=headers
            )
        response = await client.send(request, stream=True)
        try:
            body = (await response.aread()).decode(errors="replace")
        finally:
            await response.aclose()
    except httpx.HTTPError as exc:
        tally.record(
            kind, "transport", (time.perf_counter() - t0) * 1000, f"{style}: {type(exc).__name__}: {exc}"
        )
        return
    ms = (time.perf_counter() - t0) * 1000
    status: int | str = response.status_code
    mode, detail = None, body[:300]
    if status == 200 and kind == "chat":
        data = json.loads(body)
        mode = (data.get("kefu") or {}).get("mode") if style == "openai" else data.get("mode")
    elif status == 200:
        mode, status, detail = _stream_outcome(style, body)
    tally.record(kind, status, ms, f"{style}: {detail}")
    if mode:
        tally.modes[mode] = tally.modes.get(mode, 0) + 1


def _stream_outcome(style: str, body: str) -> tuple[str | None, int | str, str]:
    """(answer mode, status to record, detail) of a complete streamed body."""
    if style == "openai-stream":
        datas = [line[6:] for line in body.splitlines() if line.startswith("data: ")]
        if datas and datas[-1] == "[DONE]":
            finals = [json.loads(d) for d in datas[:-1]]
            return next(((c.get("kefu") or {}).get("mode") for c in finals if c.get("kefu")), None), 200, ""
        errors = [json.loads(d)["error"] for d in datas if d.startswith('{"error"')]
        return None, "stream-error", (errors[0]["message"] if errors else "stream ended without [DONE]")
    events = [block.split("\n", 1) for block in body.strip().split("\n\n") if block.startswith("event: ")]
    for head, data in events:
        if head == "event: final":
            return json.loads(data.removeprefix("data: ")).get("mode"), 200, ""
        if head == "event: error":
            error = json.loads(data.removeprefix("data: "))
            return None, int(error.get("status", 500)), str(error.get("detail"))
    return None, "stream-error", "SSE stream ended without a final event"


async def _chat_client(
    url: str, key: str, tally: Tally, rng: random.Random, deadline: float, limit: int, offset: int
) -> None:
    styles = ("openai", "session", "openai-stream", "session-stream")
    async with httpx.AsyncClient(
        base_url=url, timeout=180, headers={"Authorization": f"Bearer {key}"}
    ) as client:
        session = None
        for i in range(limit):
            if time.monotonic() > deadline:
                return
            style = styles[(i + offset) % len(styles)]
            if style.startswith("session") and (session is None or i % 3 == 0):  # three turns per session
                t0 = time.perf_counter()
                try:
                    created = await client.post("/v1/sessions", json={"kb": KB, "channel": "soak"})
                    status: int | str = created.status_code
                except httpx.HTTPError:
                    created, status = None, "transport"
                tally.record(
                    "session",
                    status,
                    (time.perf_counter() - t0) * 1000,
                    created.text[:300] if created is not None else "",
                )
                if status != 201 or created is None:
                    continue
                session = created.json()["id"]
            await _chat_turn(client, tally, style, session, rng.choice(CHAT_QUESTIONS))


@dataclass
class Ledger:
    """What one generated file name should look like now, from the uploads' own outcomes."""

    name: str
    good: str | None = None  # marker word of the version that must be served
    content: bytes = b""
    replaced: list[str] = field(default_factory=list)  # markers of earlier versions: must be gone
    corrupt_last: bool = False  # the last upload was corrupt: the document must say so


@dataclass
class UploadStats:
    outcomes: dict[str, int] = field(default_factory=dict)  # expected outcome -> count
    job_seconds: list[float] = field(default_factory=list)
    searchable: int = 0  # successful uploads found by their marker right after the job
    checked: int = 0


def _generated(rng: random.Random, name: str, marker: str) -> bytes:
    sentences = [
        " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 14))).capitalize() + "."
        for _ in range(rng.randint(4, 24))
    ]
    sentences.insert(rng.randrange(len(sentences) + 1), f"The reference code of this note is {marker}.")
    body = "\n\n".join(" ".join(sentences[i : i + 3]) for i in range(0, len(sentences), 3))
    if name.endswith(".md"):
        return f"# Care note {marker}\n\n{body}\n".encode()
    return f"Care note {marker}\n\n{body}\n".encode()


def _corrupt(rng: random.Random) -> bytes:
    return bytes([0, 1, 2, 0xFF, 0xFE]) + rng.randbytes(rng.randint(200, 2000))


async def _find(client: httpx.AsyncClient, tally: Tally, marker: str) -> list[dict[str, Any]]:
    """The hits for a marker word whose text contains it."""
    t0 = time.perf_counter()
    try:
        response = await client.post("/v1/search", json={"kb": KB, "query": marker, "top_k": 10})
    except httpx.HTTPError as exc:
        tally.record("verify", "transport", (time.perf_counter() - t0) * 1000, str(exc))
        return []
    tally.record("verify", response.status_code, (time.perf_counter() - t0) * 1000, response.text[:300])
    if response.status_code != 200:
        return []
    return [h for h in response.json()["hits"] if marker in h["text"]]


async def check_ledger(client: httpx.AsyncClient, tally: Tally, entry: Ledger) -> list[str]:
    """The name's good version is searchable under its name, no replaced version is, and its
    document shows an error exactly when its last upload was corrupt."""
    problems = []
    if entry.good:
        hits = await _find(client, tally, entry.good)
        if not any(h["source"] == entry.name for h in hits):
            problems.append(f"{entry.name}: its current version ({entry.good}) is not found by search")
    for old in entry.replaced:
        if await _find(client, tally, old):
            problems.append(f"{entry.name}: replaced text {old} is still found by search")
    t0 = time.perf_counter()
    try:
        listed = await client.get(f"/v1/kbs/{KB}/documents")
    except httpx.HTTPError as exc:
        tally.record("verify", "transport", (time.perf_counter() - t0) * 1000, str(exc))
        return problems
    tally.record("verify", listed.status_code, (time.perf_counter() - t0) * 1000, listed.text[:300])
    if listed.status_code != 200:
        return problems
    doc = next((d for d in listed.json() if d["source"] == entry.name), None)
    if entry.good and doc is None:
        problems.append(f"{entry.name}: not listed among the documents")
    elif doc is not None and entry.corrupt_last and not doc["last_error"]:
        problems.append(f"{entry.name}: its last upload was corrupt but the document shows no error")
    elif doc is not None and not entry.corrupt_last and doc["last_error"]:
        problems.append(f"{entry.name}: good last upload, yet the document shows {doc['last_error']!r}")
    return problems


# A name's first upload adds it; later ones follow this cycle: a corrupt file, then the last good
# content again (which must also clear the corrupt upload's error), then new content twice.
AFTER_FIRST = ("failed", "unchanged", "changed", "changed")


async def _upload_client(
    url: str,
    key: str,
    tally: Tally,
    stats: UploadStats,
    ledgers: list[Ledger],
    rng: random.Random,
    deadline: float,
    limit: int,
    pause_s: float,
    job_timeout_s: float,
) -> None:
    async with httpx.AsyncClient(
        base_url=url, timeout=120, headers={"Authorization": f"Bearer {key}"}
    ) as client:
        for i in range(limit):
            if time.monotonic() > deadline:
                return
            entry = ledgers[i % len(ledgers)]
            expect = (
                "added" if entry.good is None else AFTER_FIRST[(i // len(ledgers) - 1) % len(AFTER_FIRST)]
            )
            marker: str | None = entry.good
            if expect == "failed":
                content = _corrupt(rng)
            elif expect == "unchanged":
                content = entry.content
            else:
                marker = _marker(rng)
                content = _generated(rng, entry.name, marker)
            job = await upload(client, tally, [(entry.name, content)], job_timeout_s, stats)
            if job is not None:
                _settle(entry, job, expect, marker, content, stats, tally)
                stats.checked += 1
                found = await check_ledger(client, tally, entry)
                stats.searchable += not found
                tally.problems += [f"right after an upload: {p}" for p in found]
            await asyncio.sleep(max(0.0, min(pause_s, deadline - time.monotonic())))


def _marker(rng: random.Random) -> str:
    return "soak" + "".join(rng.choice(string.ascii_lowercase) for _ in range(10))


async def upload(
    client: httpx.AsyncClient,
    tally: Tally,
    files: list[tuple[str, bytes]],
    timeout_s: float,
    stats: UploadStats,
    kb: str = KB,
) -> dict[str, Any] | None:
    """POST the files, then poll their job until it ends; the final job, or None (recorded)."""
    names = ", ".join(name for name, _ in files)
    t0 = time.perf_counter()
    try:
        response = await client.post(f"/v1/kbs/{kb}/documents", files=[("files", f) for f in files])
    except httpx.HTTPError as exc:
        tally.record("upload", "transport", (time.perf_counter() - t0) * 1000, f"{names}: {exc}")
        return None
    tally.record(
        "upload", response.status_code, (time.perf_counter() - t0) * 1000, f"{names}: {response.text}"
    )
    if response.status_code != 202:
        return None
    job_id = response.json()["job"]["id"]
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        await asyncio.sleep(0.25)
        t1 = time.perf_counter()
        try:
            polled = await client.get(f"/v1/jobs/{job_id}")
        except httpx.HTTPError as exc:
            tally.record("job", "transport", (time.perf_counter() - t1) * 1000, str(exc))
            continue
        tally.record("job", polled.status_code, (time.perf_counter() - t1) * 1000, polled.text)
        if polled.status_code == 200 and polled.json()["status"] in ("succeeded", "failed"):
            stats.job_seconds.append(time.perf_counter() - t0)
            return polled.json()
    tally.problems.append(f"{names}: job {job_id} not finished after {timeout_s:.0f} s")
    return None


async def build_kb(stack: Stack, files: list[Path]) -> dict[str, Any]:
    """The sample knowledge base through the API, as eval.bench_api builds it (all files, one job)."""
    tally = Tally()
    headers = {"Authorization": f"Bearer {stack.keys['owner']}"}
    async with httpx.AsyncClient(base_url=stack.url, timeout=120, headers=headers) as client:
        created = await client.post("/v1/kbs", json={"name": KB})
        if created.status_code != 201:
            raise RuntimeError(f"creating the knowledge base answered {created.status_code}: {created.text}")
        job = await upload(client, tally, [(p.name, p.read_bytes()) for p in files], 900, UploadStats())
    if job is None or job["status"] != "succeeded" or any(f["outcome"] == "failed" for f in job["files"]):
        raise RuntimeError(
            f"building the sample knowledge base failed: {job} {tally.problems} {tally.failures}"
        )
    return job


def _settle(
    entry: Ledger,
    job: dict[str, Any],
    expect: str,
    marker: str | None,
    content: bytes,
    stats: UploadStats,
    tally: Tally,
) -> None:
    """Compare the job's outcome for the file with what was sent; update what must be served."""
    outcome = job["files"][0]["outcome"] if job["files"] else f"no file result ({job['error']})"
    stats.outcomes[expect] = stats.outcomes.get(expect, 0) + 1
    if outcome != expect:
        tally.problems.append(f"{entry.name}: expected {expect}, the job says {outcome} ({job['error']})")
    if expect == "failed":
        entry.corrupt_last = True
        return
    if outcome == expect:
        if entry.good and entry.good != marker:
            entry.replaced.append(entry.good)
        entry.good, entry.content, entry.corrupt_last = marker, content, False


# -- the run ----------------------------------------------------------------------------------------


async def _soak(
    stack: Stack, args: argparse.Namespace, ledgers: list[list[Ledger]], tally: Tally, stats: UploadStats
) -> float:
    deadline = time.monotonic() + args.seconds
    rng = random.Random(args.seed)
    search = LoadClient(
        stack.url, args.search_clients, {"Authorization": f"Bearer {stack.keys['owner']}"}, timeout_s=60
    )
    started = time.perf_counter()
    async with search:
        tasks = [
            _search_client(search, tally, random.Random(rng.random()), deadline, args.max_searches)
            for _ in range(args.search_clients)
        ]
        tasks += [
            _chat_client(
                stack.url,
                stack.keys["customer"],
                tally,
                random.Random(rng.random()),
                deadline,
                args.max_chats,
                offset=i,
            )
            for i in range(args.chat_clients)
        ]
        tasks += [
            _upload_client(
                stack.url,
                stack.keys["owner"],
                tally,
                stats,
                lane,
                random.Random(rng.random()),
                deadline,
                args.max_uploads,
                args.upload_pause,
                args.job_timeout,
            )
            for lane in ledgers
        ]
        # Bounded even if a request hangs: the clients stop at the deadline, stragglers get a grace.
        done, pending = await asyncio.wait(
            [asyncio.ensure_future(t) for t in tasks], timeout=args.seconds + args.job_timeout + 60
        )
        for task in pending:
            task.cancel()
            tally.problems.append("a client was still busy long after the deadline (cancelled)")
        for task in done:
            if task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
    return time.perf_counter() - started


async def _warm_up(stack: Stack, connections: int, ingest_workers: int) -> None:
    """Not measured: the sample queries on every connection (with several API workers, the
    connections spread over them), one chat turn, and with ingest workers one small upload to
    a knowledge base of its own per worker, sent together so that each worker likely takes one
    (a worker's first job loads the parsers and the embedder); the figures start from a warmed
    service."""
    if ingest_workers:
        await asyncio.gather(*(_warm_ingest(stack, f"warm-{i}") for i in range(ingest_workers)))
    async with LoadClient(
        stack.url, connections, {"Authorization": f"Bearer {stack.keys['owner']}"}, 120
    ) as client:
        for query in SEARCH_QUERIES:
            answers = await asyncio.gather(
                *(
                    client.post_json("/v1/search", {"kb": KB, "query": query, "top_k": 5})
                    for _ in range(connections)
                )
            )
            if any(status != 200 for status, _ in answers):
                raise RuntimeError(f"warm-up search for {query!r} failed: {answers[0][1][:300]!r}")
    headers = {"Authorization": f"Bearer {stack.keys['customer']}"}
    async with httpx.AsyncClient(base_url=stack.url, timeout=180, headers=headers) as client:
        session = (await client.post("/v1/sessions", json={"kb": KB})).json()["id"]
        turn = await client.post(f"/v1/sessions/{session}/messages", json={"text": CHAT_QUESTIONS[0]})
        if turn.status_code != 200:
            raise RuntimeError(f"warm-up chat turn answered {turn.status_code}: {turn.text[:300]}")


async def _warm_ingest(stack: Stack, kb: str) -> None:
    headers = {"Authorization": f"Bearer {stack.keys['owner']}"}
    async with httpx.AsyncClient(base_url=stack.url, timeout=120, headers=headers) as client:
        created = await client.post("/v1/kbs", json={"name": kb})
        if created.status_code != 201:
            raise RuntimeError(f"creating {kb} answered {created.status_code}: {created.text}")
        content = b"# Warm-up\n\nThis note only warms up an ingest worker.\n"
        job = await upload(client, Tally(), [("warm-up.md", content)], 600, UploadStats(), kb=kb)
        if job is None or job["status"] != "succeeded":
            raise RuntimeError(f"the warm-up upload to {kb} failed: {job}")


async def _final_api_checks(stack: Stack, ledgers: list[Ledger], tally: Tally) -> list[str]:
    problems: list[str] = []
    headers = {"Authorization": f"Bearer {stack.keys['owner']}"}
    async with httpx.AsyncClient(base_url=stack.url, timeout=60, headers=headers) as client:
        for entry in ledgers:
            if entry.good is not None:
                problems += await check_ledger(client, tally, entry)
    return problems


def _log_errors(stack: Stack) -> list[str]:
    """ERROR lines of the kefu processes' JSON logs (the Chroma log is not kefu's)."""
    lines = []
    for name, log in stack.logs.items():
        if name.startswith("chroma") or not log.exists():
            continue
        for line in log.read_text(errors="replace").splitlines():
            if '"level": "ERROR"' in line or '"level":"ERROR"' in line or line.startswith("Traceback"):
                lines.append(f"{name}: {line[:300]}")
    return lines


def run(args: argparse.Namespace) -> dict[str, Any]:
    data_dir = Path(tempfile.mkdtemp(prefix="kefu-soak-"))
    load_start = os.getloadavg()
    try:
        with start(
            args.topology, data_dir, api_workers=args.api_workers, ingest_workers=args.ingest_workers
        ) as stack:
            try:
                return _measure(stack, args, data_dir, load_start)
            except Exception:
                for name, log in stack.logs.items():
                    print(f"--- {name}\n{tail(log)}", file=sys.stderr)
                raise
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def _measure(
    stack: Stack, args: argparse.Namespace, data_dir: Path, load_start: tuple[float, ...]
) -> dict[str, Any]:
    from ingest.sample import sample_files

    t0 = time.perf_counter()
    build = asyncio.run(build_kb(stack, sample_files()[: args.sample_files or None]))
    build_s = time.perf_counter() - t0
    sample_chunks = {f["source"]: f["chunks"] for f in build["files"]}
    names = [
        f"soak-{lane}-{k}.{'md' if k % 2 == 0 else 'txt'}"
        for lane in range(args.upload_clients)
        for k in range(args.names_per_client)
    ]
    ledgers = [
        [Ledger(n) for n in names if n.startswith(f"soak-{lane}-")] for lane in range(args.upload_clients)
    ]
    t0 = time.perf_counter()
    asyncio.run(_warm_up(stack, args.search_clients, args.ingest_workers if args.topology == "scaled" else 0))
    warm_s = time.perf_counter() - t0
    memory_start = memory_mb(stack)
    tally, stats = Tally(), UploadStats()
    elapsed = asyncio.run(_soak(stack, args, ledgers, tally, stats))
    memory_end = memory_mb(stack)
    load_end = os.getloadavg()
    crashed = stack.alive()
    everyone = [e for lane in ledgers for e in lane]
    api_problems = asyncio.run(_final_api_checks(stack, everyone, tally))
    stop_kefu(stack)
    from ingest.config import Settings

    settings = Settings(data_dir=data_dir, database_url=stack.database_url, chroma_url=stack.chroma_url)
    stores = check_stores(
        settings, KB, sample_chunks, set(sample_chunks) | {e.name for e in everyone if e.good}
    )
    log_errors = _log_errors(stack)
    total = sum(len(v) for v in tally.latencies.values())
    kinds = {
        kind: {
            "requests": len(lat),
            "req_per_s": round(len(lat) / elapsed, 2),
            **_percentiles(lat),
            "statuses": tally.statuses[kind],
        }
        for kind, lat in sorted(tally.latencies.items())
    }
    chat_ms = tally.latencies.get("chat", []) + tally.latencies.get("chat-stream", [])
    integrity = api_problems + stores.problems + [f"process exited during the soak: {c}" for c in crashed]
    return {
        "setup": {
            "topology": args.topology,
            "seconds": args.seconds,
            "cpus": os.cpu_count(),
            "api_workers": args.api_workers if args.topology == "scaled" else 1,
            "ingest_workers": args.ingest_workers if args.topology == "scaled" else 0,
            "search_clients": args.search_clients,
            "chat_clients": args.chat_clients,
            "upload_clients": args.upload_clients,
            "start_s": round(stack.started_s, 1),
            "kb_build_s": round(build_s, 1),
            "warm_up_s": round(warm_s, 1),
            "load_avg_start": [round(x, 2) for x in load_start],
            "load_avg_end": [round(x, 2) for x in load_end],
        },
        "overall": {
            "requests": total,
            "seconds": round(elapsed, 1),
            "req_per_s": round(total / elapsed, 1),
            **_percentiles([x for v in tally.latencies.values() for x in v]),
            "classes": tally.classes(),
        },
        "kinds": kinds,
        "chat": {"turns": len(chat_ms), **_percentiles(chat_ms), "modes": tally.modes},
        "failures": tally.failures,
        "unexpected": tally.unexpected,
        "uploads": {
            "outcomes": stats.outcomes,
            "searchable_after_job": f"{stats.searchable}/{stats.checked}",
            "job_p50_s": round(float(np.percentile(stats.job_seconds, 50)), 2) if stats.job_seconds else None,
            "job_p95_s": round(float(np.percentile(stats.job_seconds, 95)), 2) if stats.job_seconds else None,
        },
        "memory_mb": {"start": memory_start, "end": memory_end},
        "integrity": {
            "ok": not integrity and not tally.problems,
            "problems": tally.problems + integrity,
            "documents": stores.documents,
            "chunks": stores.chunks,
            "embedded": stores.embedded,
            "vectors": stores.vectors,
        },
        "server_log_errors": log_errors[:50],
    }


def _memory_line(memory: dict[str, dict[str, float]]) -> str:
    parts = [
        f"{role} {m['rss']:.0f} MB RSS / {m['pss']:.0f} PSS ({m['processes']:.0f} proc)"
        for role, m in memory.items()
    ]
    total = sum(m["rss"] for m in memory.values())
    return f"{total:.0f} MB RSS in all: " + ", ".join(parts)


def report(result: dict[str, Any]) -> str:
    out = [f"setup: {json.dumps(result['setup'])}"]
    o = result["overall"]
    out.append(
        f"all: {o['requests']} requests in {o['seconds']} s = {o['req_per_s']} req/s; p50 {o['p50_ms']} ms, "
        f"p95 {o['p95_ms']} ms; status classes {o['classes']}"
    )
    for kind, k in result["kinds"].items():
        out.append(
            f"  {kind:>11}: {k['requests']:>6} requests, {k['req_per_s']:>7} req/s; p50 {k['p50_ms']} ms, "
            f"p95 {k['p95_ms']} ms, p99 {k['p99_ms']} ms; statuses {k['statuses']}"
        )
    c = result["chat"]
    out.append(
        f"chat turns (all styles): {c['turns']}; p50 {c['p50_ms']} ms, p95 {c['p95_ms']} ms; modes {c['modes']}"
    )
    u = result["uploads"]
    out.append(
        f"uploads: {u['outcomes']}; searchable right after the job {u['searchable_after_job']}; "
        f"upload-to-job-done p50 {u['job_p50_s']} s, p95 {u['job_p95_s']} s"
    )
    out.append(f"memory after warm-up:   {_memory_line(result['memory_mb']['start'])}")
    out.append(f"memory at the end:      {_memory_line(result['memory_mb']['end'])}")
    failures = result["failures"]
    out.append(f"5xx, transport and stream errors: {len(failures) or 'none'}")
    out += [f"  {line}" for line in failures]
    if result["unexpected"]:
        out.append(f"other unexpected statuses: {len(result['unexpected'])}")
        out += [f"  {line}" for line in result["unexpected"][:20]]
    i = result["integrity"]
    out.append(
        f"integrity: {'OK' if i['ok'] else 'FAILED'}: {i['documents']} documents, {i['chunks']} chunks "
        f"({i['embedded']} embedded) in SQL, {i['vectors']} vectors in Chroma"
    )
    out += [f"  {p}" for p in i["problems"]]
    if result["server_log_errors"]:
        out.append(f"server log ERROR lines: {len(result['server_log_errors'])} (first shown)")
        out += [f"  {line}" for line in result["server_log_errors"][:10]]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--topology",
        choices=TOPOLOGIES,
        default="embedded",
        help="embedded: 1 API worker, SQLite, in-process jobs; scaled: PostgreSQL + Chroma server "
        "+ job queue",
    )
    parser.add_argument("--seconds", type=float, default=300.0, help="how long the mixed load runs")
    parser.add_argument("--search-clients", type=int, default=6)
    parser.add_argument("--chat-clients", type=int, default=1)
    parser.add_argument("--upload-clients", type=int, default=2, help="each owns its own file names")
    parser.add_argument("--names-per-client", type=int, default=4)
    parser.add_argument(
        "--upload-pause", type=float, default=2.0, help="seconds between one client's uploads"
    )
    parser.add_argument("--max-searches", type=int, default=200_000, help="per search client")
    parser.add_argument("--max-chats", type=int, default=1_000, help="turns per chat client")
    parser.add_argument("--max-uploads", type=int, default=1_000, help="per upload client")
    parser.add_argument("--job-timeout", type=float, default=180.0, help="longest wait for one upload's job")
    parser.add_argument("--api-workers", type=int, default=4, help="scaled topology: `kefu serve --workers`")
    parser.add_argument(
        "--ingest-workers", type=int, default=2, help="scaled topology: `kefu worker` processes"
    )
    parser.add_argument(
        "--sample-files",
        type=int,
        default=0,
        help="build the knowledge base from the first N sample files only (0: all; for a quick run)",
    )
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of lines")
    args = parser.parse_args(argv)
    result = run(args)
    print(json.dumps(result) if args.json else report(result))
    sys.stdout.flush()
    return 0 if result["integrity"]["ok"] and not result["failures"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
